# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The option adapter: where each setting comes from (task > obshell_* host variable > OBSHELL_* > default), and the
checks a person can act on."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options

SPEC = _options.dag_wait_spec()


def test_task_beats_host_variable_beats_environment():
    environ = {'OBSHELL_PORT': '2000', 'OBSHELL_PASSWORD': 'from-env', 'OBSHELL_REQUEST_TIMEOUT': '7'}
    host_vars = {'obshell_port': 2100, 'obshell_password': 'from-host', 'ansible_host': '10.0.0.5'}
    values = _options.resolve({'port': 2200}, host_vars, environ, SPEC)
    assert values['port'] == 2200                     # the task
    assert values['password'] == 'from-host'          # the host variable over the environment
    assert values['request_timeout'] == '7'           # the environment when nothing else says
    assert values['host'] == '10.0.0.5'               # ansible_host from the controller


def test_a_task_value_of_none_does_not_hide_the_host_variable():
    """`port: "{{ omit }}"` is dropped by ansible; a None that got through (a role passing an unset variable)
    must not count as set."""
    values = _options.resolve({'port': None}, {'obshell_port': 2100}, {}, SPEC)
    assert values['port'] == 2100


def test_on_the_host_the_environment_is_the_modules_and_the_host_is_its_own_agent():
    values = _options.resolve({}, {'obshell_port': 2100, 'ansible_host': '10.0.0.5'}, {'OBSHELL_PASSWORD': 'x'},
                              SPEC, controller=False)
    assert values['port'] == 2100
    assert 'password' not in values          # env_fallback in the module reads the host's environment
    assert 'host' not in values              # the module's default: 127.0.0.1


def test_only_obshell_prefixed_variables_count():
    """A host variable named like the option without the prefix (`password`, `port`) is someone else's."""
    values = _options.resolve({}, {'password': 'not-ours', 'port': 1, 'ansible_host': 'h'}, {}, SPEC)
    assert 'password' not in values and 'port' not in values


class VaultedLike(object):
    """What ansible-core 2.16-2.18 hands an action for a vaulted variable: not a str; str() decrypts."""

    def __init__(self, text):
        self._text = text

    def __str__(self):
        return self._text


def test_a_vaulted_host_variable_arrives_as_its_text():
    values = _options.resolve({}, {'obshell_password': VaultedLike('s3cret'), 'ansible_host': 'h'}, {}, SPEC)
    assert values['password'] == 's3cret' and isinstance(values['password'], str)


def real_vaulted(text):
    """A vaulted value as this ansible-core makes it: AnsibleVaultEncryptedUnicode (2.16-2.18) or EncryptedString
    (2.19 and later), neither of them a str."""
    from ansible.parsing import vault as vault_lib
    secret = vault_lib.VaultSecret(b'vault-pass')
    vault = vault_lib.VaultLib([('default', secret)])
    cipher = vault.encrypt(text)
    if hasattr(vault_lib, 'EncryptedString'):
        vault_lib.VaultSecretsContext.initialize(vault_lib.VaultSecretsContext([('default', secret)]))
        return vault_lib.EncryptedString(ciphertext=cipher.decode())
    from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode
    value = AnsibleVaultEncryptedUnicode(cipher)
    value.vault = vault
    return value


def test_the_real_vault_class_of_this_core_is_made_plain_too():
    value = real_vaulted('s3cret')
    assert not isinstance(value, str)
    values = _options.resolve({}, {'obshell_password': value, 'ansible_host': 'h'}, {}, SPEC)
    assert values['password'] == 's3cret' and isinstance(values['password'], str)


@pytest.mark.parametrize('host, fragment', [
    ('https://10.0.0.1', 'has a scheme'),
    ('10.0.0.1:2886', 'has a port in it'),
    ('10.0.0.1/api', 'has a path in it'),
    (' 10.0.0.1', 'has spaces in it'),
    ('', 'must not be empty'),
    ('[::1', 'without a port'),
])
def test_bad_hosts_are_named_with_what_is_wrong(host, fragment):
    message = _options.check_host(host, option='obshell_host')
    assert message and message.startswith('obshell_host ') and fragment in message


@pytest.mark.parametrize('host', ['10.0.0.1', 'ob1.example.com', '::1', '[::1]', 'fe80::1'])
def test_good_hosts_pass(host):
    assert _options.check_host(host) is None


def test_connection_checks_name_each_option(tmp_path):
    directory = str(tmp_path)
    errors = _options.check_connection_options({
        'host': 'x', 'port': 70000, 'request_timeout': 0, 'retries': -1, 'client_key': '/k',
        'ca_path': directory, 'client_cert': directory})
    text = '\n'.join(errors)
    for expected in ('port must be between 1 and 65535', 'request_timeout must be a positive',
                     'retries must be 0 or more', "client_cert %r is a directory" % directory,
                     "client_key '/k' does not exist"):
        assert expected in text, text
    assert 'ca_path' not in text     # a CA directory is fine


@pytest.mark.parametrize('text', ['user:S3cret-pw@127.0.0.1', 'http://user:S3cret-pw@127.0.0.1', 'u:S3cret-pw@h:2886',
                                  'https://u:S3cret-pw@h/x'])
def test_a_user_part_in_a_host_is_refused_without_repeating_it(text):
    # Found by the red team: host: user:pw@127.0.0.1 was echoed back whole and called "a path".
    problem = _options.check_host(text)
    assert problem and 'S3cret-pw' not in problem
    with pytest.raises(ValueError) as caught:
        _options.parse_agent(text)
    assert 'S3cret-pw' not in str(caught.value)


# ------------------------------------------------------------------------------------------------ one precedence

LAYERS = ('task', 'host', 'play', 'env', 'configured')


@settings(max_examples=300, deadline=None)
@given(present=st.dictionaries(st.sampled_from(sorted(_options.CONNECTION_SPEC)),
                               st.sets(st.sampled_from(LAYERS)), max_size=len(_options.CONNECTION_SPEC)),
       controller=st.booleans())
def test_every_setting_comes_from_the_first_layer_that_has_it_in_one_order(present, controller):
    """Whatever layers hold a value, resolve() (the one path of actions, modules' arguments and the lookup's hosts)
    takes it from the first of: the task, the host's own variable, the play's, the environment (on the controller),
    the plugin's configured setting (never for host), then the host's address."""
    task, host_vars, play, environ, configured = {}, {'ansible_host': 'addr-of-host'}, {}, {}, {}
    for name, layers in present.items():
        for layer in layers:
            value = '%s-%s' % (layer, name)
            if layer == 'task':
                task[name] = value
            elif layer == 'host':
                host_vars['obshell_' + name] = value
            elif layer == 'play':
                play['obshell_' + name] = value
            elif layer == 'env':
                environ['OBSHELL_' + name.upper()] = value
            else:
                configured[name] = value
    resolved = _options.resolve(task, host_vars, environ, _options.CONNECTION_SPEC, controller=controller,
                                host_name='inventory-name', shared_vars=play, configured=configured)
    for name in _options.CONNECTION_SPEC:
        usable = [layer for layer in LAYERS if layer in present.get(name, ())
                  and (controller or layer != 'env') and not (name == 'host' and layer == 'configured')]
        if usable:
            assert resolved[name] == '%s-%s' % (usable[0], name)
        elif name == 'host' and controller:
            assert resolved[name] == 'addr-of-host'
        else:
            assert resolved.get(name) is None


def test_the_plays_variables_are_those_the_host_does_not_hold_itself_raw():
    task_vars = {'inventory_hostname': 'h1', 'hostvars': {'h1': {'obshell_port': 1, 'inventory_hostname': 'h1'}},
                 'obshell_port': 1, 'obshell_password': '{{ secret }}', 'other': 'x'}
    shared = _options.play_scoped(task_vars)
    assert shared['obshell_password'] == '{{ secret }}' and shared['other'] == 'x'
    assert 'obshell_port' not in shared and 'inventory_hostname' not in shared


class RawHostvars(dict):
    """Ansible's hostvars as the action sees them: hostvars[h] would fill each variable in, raw_get(h) does not."""

    def raw_get(self, host):
        return dict(self[host])


def test_each_host_fills_in_the_plays_variables_on_its_own():
    # A play's obshell_port: "{{ my_port }}" is each host's my_port, with a real Templar; never the asking host's.
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    try:
        from ansible.template import trust_as_template     # 2.19+: only text read from a playbook is a template
    except ImportError:
        def trust_as_template(text):
            return text

    hostvars = RawHostvars(h1={'inventory_hostname': 'h1', 'my_port': 1111, 'pw': 'one'},
                           h2={'inventory_hostname': 'h2', 'my_port': 2222, 'pw': 'two',
                               'obshell_password': trust_as_template('{{ pw }}-{{ suffix }}')})
    task_vars = dict(hostvars['h1'], hostvars=hostvars, obshell_port=trust_as_template('{{ my_port }}'),
                     obshell_password=trust_as_template('{{ pw }}'), suffix='s')
    templar = Templar(loader=DataLoader(), variables=task_vars)
    shared = _options.play_scoped(task_vars)
    seen = {}
    for host in ('h1', 'h2'):
        own, template = _options.host_scope(templar, hostvars, host, shared)
        resolved = _options.resolve({}, own, {}, _options.CONNECTION_SPEC, host_name=host, shared_vars=shared,
                                    template=template)
        seen[host] = (int(resolved['port']), resolved['password'])
    assert seen == {'h1': (1111, 'one'), 'h2': (2222, 'two-s')}


def test_two_hosts_of_a_batch_at_one_agent_are_refused_however_the_address_is_written():
    # One agent cannot answer for two hosts: the idle one would be read for the busy one (red team, OBSHELL_HOST).
    assert _options.one_agent_per_host([('a', ('10.0.0.1', 2886)), ('b', ('10.0.0.2', 2886)),
                                        ('c', ('10.0.0.1', 2887)), ('a', ('10.0.0.1', 2886))]) == []
    problems = _options.one_agent_per_host([('a', ('[2001:db8::1]', 2886)), ('b', ('2001:DB8:0::1', '2886')),
                                            ('c', ('Agent.Example', 2886)), ('d', ('agent.example', 2886))])
    assert len(problems) == 2, problems
    assert problems[0].startswith('a and b are both asked at [2001:db8::1]:2886, but each host is its own agent')
    assert problems[1].startswith('c and d are both asked at agent.example:2886')
