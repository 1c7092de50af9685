# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""A deadline for a whole HTTP request, and the facts of how the request went.

requests' and urllib3's time-outs are per socket operation, so an agent answering one byte a second kept a 10 s
request going for minutes. Here one watchdog thread per process holds a heap of requests by deadline, and at a
request's deadline shuts down its socket, which ends any blocked read or write at once, whatever phase the request
is in (connect, TLS, CONNECT, headers, body). Each request is a ``Watch``: its deadline, the seconds it was given
and the seconds configured (so whether an overall deadline cut it shorter), and what happened to it, recorded as it
happened (its bytes started to leave, it went on a kept connection, the watchdog cut it). The transport decides
from these facts alone, never from the text of an exception.

The connection classes below are urllib3's, with three hooks that report to the watch; they are given to urllib3
through ``ConnectionCls`` of its pool classes, which urllib3 documents for this. The hooks that stay private, each
because nothing public exposes the moment it marks:
- ``_new_conn`` (private in urllib3 1.26 and 2): the new TCP socket; ssl detaches the socket object urllib3 keeps
  during the handshake, so the watchdog needs a duplicate taken here to cut a handshake that hangs;
- ``connect``/``request`` (public methods, overridden): which socket carries the request, and when its bytes leave.
Standard library and urllib3 (imported only when requests is there).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import heapq
import itertools
import os
import socket
import threading
import time

try:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
except ImportError:  # pragma: no cover - the transport says what is missing
    # Stand-ins, so that the classes below can be defined; nothing in this file runs without urllib3.
    HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object


class Watch(object):
    """One request under watch: its deadline, the time it was given, and what has happened to it so far."""

    __slots__ = ('deadline', 'seconds', 'configured', 'held', 'sock', 'conn', 'sent', 'reused', 'expired', 'done')

    def __init__(self, deadline, seconds, configured=None):
        self.deadline = deadline        # time.monotonic() at which the watchdog cuts it
        self.seconds = seconds          # the seconds this request was given
        self.configured = configured    # request_timeout, when an overall deadline gave it less (else None)
        self.held = None        # a duplicate of a new connection's socket, while TLS and CONNECT are set up on it
        self.sock = None        # the socket the request was sent on
        self.conn = None        # the urllib3 connection
        self.sent = False       # the request's bytes started to leave: it may have reached the agent
        self.reused = False     # on a connection that had carried an earlier request (kept alive)
        self.expired = False    # the watchdog shut it down at its deadline
        self.done = False

    @property
    def cut(self):
        """Whether the overall deadline, not request_timeout, set this request's time."""
        return self.configured is not None and self.seconds < self.configured


class Watchdog(object):
    """One thread per process, holding a heap of (deadline, watch): at a request's deadline it shuts down the
    request's socket. Cheap per request (a heap push; the thread wakes only at the earliest deadline, and is not
    woken for a later one), and no thread per request. Started on first use, and again in a forked child (a fork
    does not copy the thread)."""

    def __init__(self):
        self._pid = None
        self._start_lock = threading.Lock()

    def forget(self):
        """In a forked child: the parent's thread and locks are not ours."""
        self._pid = None
        self._start_lock = threading.Lock()

    def _start(self):
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._lock = threading.Lock()
            self._wakeup = threading.Condition(self._lock)
            self._heap = []
            self._order = itertools.count()
            self._wake_at = None       # when the thread looks next; None: it waits for a request
            thread = threading.Thread(target=self._run, name='obshell-request-deadlines')
            thread.daemon = True
            thread.start()
            self._pid = os.getpid()

    def watch(self, watch):
        if self._pid != os.getpid():
            self._start()
        with self._lock:
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._wake_at is None or watch.deadline < self._wake_at:
                self._wakeup.notify()

    def hold(self, watch, sock):
        """Keep a duplicate of a new socket: TLS takes the socket object over (its own is then unusable), and
        the duplicate still reaches the connection until it is set up."""
        with self._lock:
            if watch.done:
                return
            try:
                watch.held = socket.fromfd(sock.fileno(), sock.family, sock.type)
            except (OSError, ValueError):
                return
            if watch.expired:
                shut_down(watch.held)

    def release(self, watch):
        with self._lock:
            held, watch.held = watch.held, None
            if held is not None:
                held.close()

    def finish(self, watch):
        """The request is over; True if the watchdog cut it off."""
        with self._lock:
            watch.done = True
            held, watch.held = watch.held, None
            if held is not None:
                held.close()
            watch.sock = watch.conn = None
            return watch.expired

    def _run(self):
        with self._lock:
            while True:
                now = time.monotonic()
                heap = self._heap
                while heap and (heap[0][2].done or heap[0][0] <= now):
                    watch = heapq.heappop(heap)[2]
                    if not watch.done:
                        watch.expired = True
                        for sock in (watch.held, watch.sock, getattr(watch.conn, 'sock', None)):
                            shut_down(sock)
                self._wake_at = heap[0][0] if heap else None
                self._wakeup.wait(None if self._wake_at is None else max(self._wake_at - now, 0.001))


def shut_down(sock):
    if sock is not None and not isinstance(sock, socket.socket):
        sock = getattr(sock, 'socket', None)    # urllib3's SSLTransport (TLS inside an https:// proxy) wraps one
    if isinstance(sock, socket.socket):
        try:
            # The plain socket's shutdown, also for an SSLSocket: it must not touch the TLS state another thread
            # is reading with; the read then sees the end of the connection.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass


WATCHDOG = Watchdog()
if hasattr(os, 'register_at_fork'):    # Python 3.7+; on 3.6 the pid check in watch() does it
    os.register_at_fork(after_in_child=WATCHDOG.forget)
_CURRENT = threading.local()


def current():
    """The watch of the request this thread is making, or None."""
    return getattr(_CURRENT, 'watch', None)


def set_current(watch):
    _CURRENT.watch = watch


class _WatchedConnection(object):
    """Mixed into urllib3's connection classes: tells the request under watch which connection and socket it is
    using, and when its bytes start to leave (a failure before that means it was never sent)."""

    def _new_conn(self):
        sock = super(_WatchedConnection, self)._new_conn()
        watch = current()
        if watch is not None:
            WATCHDOG.hold(watch, sock)
        return sock

    def connect(self):
        watch = current()
        if watch is None:
            return super(_WatchedConnection, self).connect()
        watch.conn = self
        try:
            return super(_WatchedConnection, self).connect()
        finally:
            WATCHDOG.release(watch)

    def request(self, *args, **kwargs):
        watch = current()
        if watch is not None:
            if self.sock is None:
                # Connected here rather than inside the request (plain HTTP connects lazily), so that a failure
                # to connect is known not to have sent anything.
                self.connect()
            watch.conn = self
            watch.sock = self.sock
            count = getattr(self, '_obshell_requests', 0)
            self._obshell_requests = count + 1
            watch.reused = count > 0
            watch.sent = True
        return super(_WatchedConnection, self).request(*args, **kwargs)


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOL_CLASSES = {'http': _HTTPConnectionPool, 'https': _HTTPSConnectionPool}
_SOCKS_POOL_CLASSES = []


def socks_pool_classes():
    """The same for urllib3's SOCKS connections; made on first use, as they need PySocks."""
    if not _SOCKS_POOL_CLASSES:
        from urllib3.contrib import socks as urllib3_socks  # pylint: disable=import-outside-toplevel

        class _SOCKSConnection(_WatchedConnection, urllib3_socks.SOCKSConnection):
            pass

        class _SOCKSHTTPSConnection(_WatchedConnection, urllib3_socks.SOCKSHTTPSConnection):
            pass

        class _SOCKSHTTPConnectionPool(urllib3_socks.SOCKSHTTPConnectionPool):
            ConnectionCls = _SOCKSConnection

        class _SOCKSHTTPSConnectionPool(urllib3_socks.SOCKSHTTPSConnectionPool):
            ConnectionCls = _SOCKSHTTPSConnection

        _SOCKS_POOL_CLASSES.append({'http': _SOCKSHTTPConnectionPool, 'https': _SOCKSHTTPSConnectionPool})
    return _SOCKS_POOL_CLASSES[0]
