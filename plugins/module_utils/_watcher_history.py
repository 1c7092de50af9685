# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The wait's reads of the agents' history: after an outage, and before a verdict that says nothing went wrong
(every span of the wait no poll covered, and each quiet part's agent identity read again). The rules are in
docs/architecture.md ("Blind windows"); the windows themselves are _windows.Windows, kept by each part's engine.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.oceanbase.obshell.plugins.module_utils import _query, _report, _text
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster_dags import other_clusters, pending_error
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError, ObshellRecordError


class HistoryReads(object):
    """Part of _watcher.Watcher (a mixin: it reads through the watcher's clients, budget and follow-up reads). It
    uses the watcher's ``parts``, ``clock``, ``name_filter``, ``warn``, ``max_workers``, ``_warned``,
    ``_needs_refresh``, ``_cap_requests``, ``_follow_ups``, ``_per_client`` and ``_event``."""

    def _history_scopes(self, part, client):
        if part.kind == 'cluster':
            return ['cluster']
        if part.kind == 'all' and client.identity == CLUSTER_AGENT:
            return ['agent', 'cluster']
        return ['agent']

    def _read_back(self, part, client):
        """After a good read: read back from the agent's history the blind window that just closed (and, for a
        wait that names its DAGs, the appear window before it began)."""
        engine = part.engine
        lookback = engine.appear_timeout if self.name_filter else 0.0
        window = engine.history_window(client.agent_time, lookback)
        if window is not None:
            self._history(part, client, window)

    def _history(self, part, client, window, closing=False):
        """Read the agent's history for ``window`` into the part. False when it could not be read (the part then
        counts it as a failed read: no quiet verdict over a window nobody saw)."""
        engine = part.engine
        if not _query.keeps_history(client):
            if not closing:
                why = 'agent version %s keeps no DAG history' % _text.safe_text(client.version, 40)
                engine.windows.unseen(window, why)
                self._warn_once(client, 'agent %s could not be read for %s and %s: what ended meanwhile cannot '
                                        'be seen' % (client.address, _report.format_elapsed(window[1] - window[0]),
                                                     why))
            return True
        try:
            records = _query.read_history(client, self._history_scopes(part, client), self.name_filter,
                                          now=self.clock.wall())
        except ObshellRecordError as exc:
            engine.fail(exc.to_dict())
            return False
        except (ObshellError, ValueError) as exc:
            engine.main_failed(exc)
            if not closing:
                engine.windows.reopen(window[0])
            return False
        engine.history_read(records, window, closing=closing)
        return True

    def _warn_once(self, client, text):
        if client.address not in self._warned:
            self._warned.add(client.address)
            if self.warn is not None:
                self.warn(text)

    def _identities_rechecked(self, parts):
        """Before a verdict that says nothing went wrong, after more than one poll: the identity of each quiet
        part's agent read again now (it is otherwise read again only after a failed read). False when one changed
        (an agent that became a CLUSTER AGENT gives a batch without a cluster one, read before any verdict) or could
        not be read (the part then counts it as a failed read: no quiet verdict from an agent nobody reached)."""
        targets = []
        for part in parts:
            # The cluster part's other sources too: one that became a CLUSTER AGENT of another cluster is judged
            # before the verdict (found by the red team).
            for target in (part.sources if part.kind == 'cluster' else [part.target]):
                if target not in targets and (target.described is not None or target is not part.target):
                    targets.append(target)

        def reread(target):
            if target.described is not None:
                before = target.described.get('identity')
            else:
                try:
                    before = target.client.identity
                except (ObshellError, ValueError):
                    before = None
            try:
                target.client.info(refresh=True)
            except (ObshellError, ValueError) as exc:
                self._needs_refresh.add(target.client)
                return exc
            target.described = target.client.describe()
            return target.described.get('identity') == before
        if len(targets) > 1:
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(targets))) as pool:
                answers = dict(zip([id(t) for t in targets], pool.map(reread, targets)))
        else:
            answers = dict((id(target), reread(target)) for target in targets)
        asked = set(id(part.target) for part in parts)
        for part in parts:
            answer = answers.get(id(part.target))
            if isinstance(answer, Exception):
                part.engine.main_failed(answer)
        # Another source of the cluster part that cannot be read now is only a fallback (its own part, if any, says
        # it is down): only a change of its identity counts.
        return all(answer is True or (isinstance(answer, Exception) and key not in asked)
                   for key, answer in answers.items())

    def _pending_judged(self, parts):
        """Before a verdict that says nothing went wrong: no agent of the batch moving into or out of a cluster that
        is not the source's (the DAGs of its cluster are unknown). Checked again now (it may have joined since);
        False, the part failing its read, while one is."""
        judged = True
        for part in parts:
            if part.kind != 'cluster' or not part.pending:
                continue
            client = part.target.client
            others = [source.client for source in part.sources if source.client is not client]
            self._cap_requests(client, part.engine)
            try:
                problem, pending = other_clusters(client, others, self._host_of(part))
            except (ObshellError, ValueError) as exc:
                part.engine.main_failed(exc)
                judged = False
                continue
            if problem is not None:
                part.engine.fail(problem.to_dict())
                judged = False
            elif pending:
                part.engine.main_failed(pending_error(client, pending, self._host_of(part)))
                judged = False
            else:
                part.pending = []
        return judged

    def _close_windows(self, parts):
        """Before a verdict that says nothing went wrong: every agent's identity checked again and every span of
        the wait that the polls did not cover (what began and ended between two polls) read back from history.
        'quiet' when nothing changed and nothing new joined, 'changed' when an identity changed, 'joined' when a
        DAG joined from the history (or it could not be read)."""
        if any(part.engine.polls > 1 and not part.engine.read_once for part in parts) and \
                not self._identities_rechecked(parts):
            return 'changed'
        if not self._pending_judged(parts):
            return 'changed'

        def close(part):
            engine = part.engine
            # A wait on one DAG by id reads that DAG in any state: it has no window to close.
            window = engine.closing_window() if part.kind != 'dag' else None
            if window is None:
                return True
            client = part.target.client
            self._cap_requests(client, engine)
            tracked = len(engine.tracked)
            if not self._history(part, client, window, closing=True) or len(engine.tracked) != tracked:
                self._follow_ups(part)
                return False
            return True

        # Every part of a group is closed (no short cut), and then all must be quiet.
        quiet = all(self._per_client(parts, lambda group: [close(part) for part in group].count(False) == 0))
        for part in parts:
            for line in part.engine.end_poll():
                self._event(part, line)
        return 'quiet' if quiet else 'joined'

    def _close_appear_windows(self):
        """A DAG seen in any part ends the appear window of every part: the operation has started."""
        if any(part.engine.tracked for part in self.parts):
            for part in self.parts:
                if not part.engine.tracked:
                    part.engine.close_appear_window()
