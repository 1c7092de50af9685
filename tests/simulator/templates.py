# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DAG templates the simulator models, with the real agent's per-task operator permissions (spec §11.1).

Every task of the real agent starts with cancel/continue/pass/retry/rollback *not* allowed; the task's
constructor opts in with ``SetCanCancel()`` … ``SetCanRollback()`` (``engine/task/task.go:448-489``). So the
permissions belong to the **task type**: a template only chooses which task types it chains. The exceptions are
nodes that a template builds inline (``task.NewSubTask(name).SetCanRetry()…`` in ``upgrade_ob.go``,
``upgrade_stop_zone.go``, ``upgrade_start_zone.go``, ``upgrade_ob_restart.go``): there the opt-in is per template.
At DAG creation the flags are copied into every sub-task row (``service/task/sub_task.go:58-66``) and a node
allows an operator only if all its sub-tasks do (``engine/task/node.go:111-149``).

Sources: ``oceanbase/obshell`` commit ``61ee147`` (4.5.0.0), paths under ``ob/agent/``. Each row names the
constructor whose ``SetCan…`` calls it copies (embedded constructors included: ``*newX()`` copies the flags).

Letters: C = cancel, Co = continue, P = pass, R = retry, Rb = rollback.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

_LETTERS = {'C': 'can_cancel', 'Co': 'can_continue', 'P': 'can_pass', 'R': 'can_retry', 'Rb': 'can_rollback'}
PERMISSION_KEYS = tuple(sorted(_LETTERS.values()))
ALL5 = 'C Co P R Rb'


def _node(name, allow, go, parallel=False, **extra):
    """One template node: its name, the permission letters and the Go constructor it copies them from."""
    spec = {'name': name, 'parallel': parallel, 'go': go}
    letters = set(allow.split())
    unknown = letters - set(_LETTERS)
    if unknown:
        raise ValueError('unknown permission letters %s' % sorted(unknown))
    for letter, key in _LETTERS.items():
        spec[key] = letter in letters
    spec.update(extra)
    return spec


# ------------------------------------------------------------------------------------------------ scale out/in

# executor/ob/scale_out.go:218-235: every task allows continue/retry/rollback, none cancel or pass
def cluster_scale_out(new_zone=False):
    nodes = [
        _node('Integrate server config', 'Co R Rb', 'executor/ob/scale_out.go:697 newIntegrateSingleObConfigTask'),
        _node('Create local scale out dag', 'Co R Rb', 'executor/ob/scale_out.go:750 newCreateLocalScaleOutDagTask'),
        _node('Wait scale out ready', 'Co R Rb', 'executor/ob/scale_out.go:906 newWaitScalingReadyTask'),
        _node('Wait remote deploy finish', 'Co R Rb', 'executor/ob/scale_out.go:954 newWaitRemoteDeployTaskFinish'),
        _node('Wait remote start finish', 'Co R Rb', 'executor/ob/scale_out.go:1025 newWaitRemoteStartTaskFinish'),
        _node('Prev check for scale_out', 'Co R Rb', 'executor/ob/scale_out.go:1082 newPrevCheckTask'),
    ]
    if new_zone:
        nodes += [_node('Add new zone for scale_out', 'Co R Rb', 'executor/ob/scale_out.go:1123 newAddNewZoneTask'),
                  _node('Start new zone for scale_out', 'Co R Rb', 'executor/ob/scale_out.go:1169 newStartNewZoneTask')]
    nodes += [
        _node('Add server for scale_out', 'Co R Rb', 'executor/ob/scale_out.go:1212 newAddServerTask'),
        _node('Add agent for scale_out', 'Co R Rb', 'executor/ob/scale_out.go:1307 newAddAgentTask'),
        _node('Check cluster scale_out whether finished', 'Co R Rb', 'executor/ob/scale_out.go:1384 newFinishTask'),
    ]
    return {'name': 'Cluster scale out', 'scope': 'cluster', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/scale_out.go:218-235 buildClusterScaleOutTaskTemplate'}


# executor/ob/scale_out.go:237-251, a local DAG on the new agent
def local_scale_out(upgrade_agent=False):
    nodes = [
        _node('Be scaling agent', 'Co R Rb', 'executor/ob/scale_out.go:436 newAgentBeScalingOutTask'),
        _node('Start preparations', ALL5, 'executor/ob/scale_out.go:483 newWaitDeployRetryTask (+ newCheckDagStageTask)'),
        _node('Create observer workdir', 'C Co R Rb', 'executor/ob/deploy.go:37 newDeployTask'),
        _node('Start preparations', ALL5, 'executor/ob/scale_out.go:503 newWaitStartRetryTask (+ newCheckDagStageTask)'),
        _node('Start observer', ALL5, 'executor/ob/start_obsvr.go:53 newStartObServerTask'),
        _node('Watch cluster scale_out dag', 'Co R Rb', 'executor/ob/scale_out.go:523 newWatchDagTask'),
    ]
    if upgrade_agent:
        nodes.append(_node('Upgrade to cluster agent version', 'Co R Rb',
                           'executor/ob/scale_out.go:587 newScalingAgentUpdateBinaryTask'))
    nodes.append(_node('Sync from observer', 'Co R Rb', 'executor/ob/scale_out.go:635 newSyncFromOB'))
    return {'name': 'Local scale out', 'scope': 'local', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/scale_out.go:237-251 buildLocalScaleOutTaskTemplate'}


# executor/ob/scale_in.go:81-95 (clusterTaskService, global maintenance); every task allows everything except
# "Delete agent", which cannot roll back
def cluster_scale_in(force_kill=False):
    delete = _node('Delete observer', ALL5, 'executor/ob/scale_in.go:202 newDeleteObserverTask',
                   failure_exit_maintenance=True)       # newDeleteObserverNode(…, true), scale_in.go:217
    set_agent = _node("Set agent to 'SCALING IN'", ALL5, 'executor/ob/scale_in.go:230 newSetAgentToScaleInTask')
    wait = _node('Wait delete observer success', ALL5, 'executor/ob/scale_in.go:297 newWaitDeleteServerSuccessTask')
    agent = _node('Delete agent', 'C Co P R', 'executor/ob/scale_in.go:352 newDeleteAgentTask')
    kill = _node('Try to inform to kill observer', ALL5, 'executor/ob/scale_in.go:423 newTryToInformToKillObserverTask')
    if force_kill:
        paxos = _node('Check multi paxos member alive', ALL5, 'executor/ob/scale_in.go:381 newCheckMultiPaxosMemberAliveTask')
        nodes = [delete, set_agent, paxos, kill, wait, agent]
    else:
        nodes = [delete, set_agent, wait, agent, kill]
    return {'name': 'Cluster scale in', 'scope': 'cluster', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/scale_in.go:81-95 ClusterScaleIn'}


# ------------------------------------------------------------------------------------------------ start / stop

# executor/ob/start.go:72-84: a LOCAL DAG of the agent that got the request (localTaskService, start.go:41),
# not maintenance; its parallel nodes have one sub-task per agent (EXECUTE_AGENTS = all agents, start.go:59)
def start_ob(scope_zone_or_global=True):
    nodes = [
        _node('Inform all agents to start observer', 'C', 'executor/ob/sub_dag.go:72 NewCreateSubDagTask', parallel=True),
        _node('Make sure all agents are ready', 'C', 'executor/ob/sub_dag.go:204 NewCheckSubDagReadyTask'),
        _node('Advance agents to execute the task', 'C', 'executor/ob/sub_dag.go:291 NewRetrySubDagTask'),
        _node('Wait for all agents to execute tasks successfully', 'C Co', 'executor/ob/sub_dag.go:331 NewWaitSubDagFinishTask',
              parallel=True),
    ]
    if scope_zone_or_global:
        nodes.append(_node('Start Zone', 'C Co R', 'executor/ob/start.go:134 newStartZoneTask'))
    nodes.append(_node('Inform all agents to end the task', 'C', 'executor/ob/start.go:145 newPassSubStartDagTask'))
    return {'name': 'Start OB', 'scope': 'local', 'execute_agents': 'all', 'maintenance': 'none', 'nodes': nodes,
            'go': 'executor/ob/start.go:72-84 buildStartObclusterTemplate'}


# executor/ob/stop.go:80-96: LOCAL (stop.go:46), not maintenance
def stop_ob(force=False, terminate=False):
    nodes = [
        _node('Inform all agents to prepare to stop observer', 'C', 'executor/ob/sub_dag.go:72 NewCreateSubDagTask',
              parallel=True),
        _node('Make sure all agents are ready', 'C', 'executor/ob/sub_dag.go:204 NewCheckSubDagReadyTask'),
    ]
    if terminate:
        nodes.append(_node('Minor freeze before stop server', ALL5, 'executor/ob/minor_freeze.go:36 newMinorFreezeTask'))
    nodes += [
        _node('Advance agents to execute the task', 'C', 'executor/ob/sub_dag.go:291 NewRetrySubDagTask'),
        _node('Wait for all agents to execute tasks successfully', 'C Co', 'executor/ob/sub_dag.go:331 NewWaitSubDagFinishTask',
              parallel=True),
    ]
    if not force and not terminate:
        nodes.append(_node('Execute stop sql', 'C Co', 'executor/ob/stop.go:146 newExecStopSqlTask'))
    nodes.append(_node('Inform all agents to end the task', 'C', 'executor/ob/stop.go:154 newPassSubStopDagTask'))
    return {'name': 'Stop OB', 'scope': 'local', 'execute_agents': 'all', 'maintenance': 'none', 'nodes': nodes,
            'go': 'executor/ob/stop.go:80-96 buildStopTemplate'}


# executor/ob/start_obsvr.go:343-353: each agent's sub-DAG of "Start OB", global maintenance
def start_observer(need_exec_cmd=True):
    nodes = [_node('Start preparations', 'C Co P R', 'executor/ob/start_obsvr.go:382 newCheckDagStageTask')]
    if need_exec_cmd:
        nodes += [
            _node('Check ob process and config', 'C Co P', 'executor/ob/start_obsvr.go:394 newCheckObserverForStartTask'),
            _node('Start observer', ALL5, 'executor/ob/start_obsvr.go:53 newStartObServerTask'),
            _node('Execute start observer sql', 'C Co P', 'executor/ob/start_obsvr.go:405 newAlterStartServerTask'),
        ]
    nodes.append(_node('Wait for task to end', 'C Co P', 'executor/ob/start_obsvr.go:416 newWaitPassOperatorTask'))
    return {'name': 'Start observer', 'scope': 'local', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/start_obsvr.go:343-353 CreateStartDag'}


# executor/ob/stop_obsvr.go:127-138: each agent's sub-DAG of "Stop OB", global maintenance
def stop_observer(need_exec_cmd=True):
    nodes = [_node('Start preparations', 'C Co P R', 'executor/ob/start_obsvr.go:382 newCheckDagStageTask')]
    if need_exec_cmd:
        nodes.append(_node('Stop observer', 'C Co P R', 'executor/ob/stop_obsvr.go:36 newStopObserverTask'))
    nodes.append(_node('Wait for task to end', 'C Co P', 'executor/ob/start_obsvr.go:416 newWaitPassOperatorTask'))
    return {'name': 'Stop observer', 'scope': 'local', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/stop_obsvr.go:127-138 buildSubStopTemplate'}


# executor/ob/emergency_start.go:31-44: SetMaintenance(UnMaintenance()), a local non-maintenance DAG
def start_local_observer():
    nodes = [
        _node('Check ob process and config', 'C Co P', 'executor/ob/start_obsvr.go:394 newCheckObserverForStartTask'),
        _node('Start observer', ALL5, 'executor/ob/start_obsvr.go:53 newStartObServerTask'),
        _node('Get connection of observer', 'Co P', 'executor/ob/emergency_start.go:51 newGetConnForEStartTask'),
    ]
    return {'name': 'Start local observer', 'scope': 'local', 'maintenance': 'none', 'nodes': nodes,
            'go': 'executor/ob/emergency_start.go:31-44 EmergencyStart'}


# executor/ob/emergency_stop.go:22-34
def stop_local_observer():
    nodes = [_node('Stop observer', 'C Co P R', 'executor/ob/stop_obsvr.go:36 newStopObserverTask')]
    return {'name': 'Stop local observer', 'scope': 'local', 'maintenance': 'none', 'nodes': nodes,
            'go': 'executor/ob/emergency_stop.go:22-34 EmergencyStop'}


# ------------------------------------------------------------------------------------------------ upgrades

def _agent_upgrade_nodes():
    """buildAgentCheckAndUpgradeTemplate (executor/ob/upgrade_agent.go:56-68): all parallel."""
    return [
        _node('Create upgrade dir', ALL5, 'executor/ob/upgrade_dir_check.go:37 newCreateUpgradeDirTask', parallel=True),
        _node('Download all required packages', ALL5, 'executor/ob/upgrade_pkg_download.go:49 newGetAllRequiredPkgsTask',
              parallel=True),
        _node('Check all required packages', ALL5, 'executor/ob/upgrade_pkg_check.go:29 newCheckAllRequiredPkgsTask',
              parallel=True),
        _node('Unpack all required packages', ALL5, 'executor/ob/upgrade_pkg_install.go:42 newInstallAllRequiredPkgsTask',
              parallel=True),
        _node('Backup for upgrade', ALL5, 'executor/ob/upgrade_agent_backup.go:34 newBackupAgentForUpgradeTask', parallel=True),
        _node('Install new obshell', ALL5, 'executor/ob/upgrade_agent_install.go:39 newInstallNewAgentTask', parallel=True),
        _node('Restart obshell', 'C Co R', 'executor/ob/upgrade_agent_restart.go:46 newRestartAgentTask', parallel=True),
        _node('Upgrade post table maintain', 'C Co R', 'executor/ob/upgrade_table_maintain.go:28 newUpgradePostTableMaintainTask',
              parallel=True),
    ]


def _check_env():
    return _node('Check the python environment', ALL5, 'executor/ob/upragde_env_check.go:31 newCheckEnvTask', parallel=True)


def _remove_check_dir():
    return _node('Remove upgrade check task dir', 'C Co P R', 'executor/ob/upgrade_dir_remove.go:31 newRemoveUpgradeCheckDirTask',
                 parallel=True)


# The script, zone and restart nodes are built inline with their own SetCan… calls: a per-template opt-in.
def _checker():
    return _node('Execute upgrade checker script', 'Co R', 'executor/ob/upgrade_ob.go:204 newExecUpgradeCheckerNode')


def _pre_script():
    return _node('Execute upgrade pre script', 'R', 'executor/ob/upgrade_ob.go:216 newExecPreScriptNode')


def _post_script():
    return _node('Execute upgrade post script', 'Co R', 'executor/ob/upgrade_ob.go:228 newExecPostScriptNode')


def _health():
    return _node('Execute upgrade health checker script', 'Co R', 'executor/ob/upgrade_ob.go:240 newExecHealthCheckerNode')


def _reinstall(zone=None):
    # parallel over the zone's agents (EXECUTE_AGENTS, upgrade_ob_restart.go:42-52); their observers restart, so
    # each executing agent loses its OB connection while the node runs (spec §11.6)
    return _node('Reinstall and restart observer', 'Co R', 'executor/ob/upgrade_ob_restart.go:42 newReinstallAndRestartObNode',
                 parallel=True, zone=zone, observer_down=True)


def ob_upgrade(zones, version='4.3.5.0-100000202024123117', rolling=True, business=False, freeze=False, routes=1):
    """executor/ob/upgrade_ob.go:106-188 (taskService = cluster, enter.go:371), global maintenance."""
    if business:
        nodes = [_check_env()] + _agent_upgrade_nodes()[:4]
    else:
        nodes = [_check_env()] + _agent_upgrade_nodes()     # newCheckAndUpgradeAgentTemplate, upgrade_ob.go:150-155
    freeze_node = _node('Minor freeze before stop server', ALL5, 'executor/ob/minor_freeze.go:36 newMinorFreezeTask')
    for _unused in range(routes):
        nodes += [_node('Backup parameters', 'C Co R', 'executor/ob/upgrade_param_backup.go:30 newBackupParametersTask'),
                  _checker()]
        if rolling:
            nodes.append(_pre_script())
            for zone in zones:
                nodes += [_health(),
                          _node('Stop %s' % zone, 'Co R', 'executor/ob/upgrade_stop_zone.go:34 newStopZoneNode')]
                if freeze:
                    nodes.append(dict(freeze_node))
                nodes += [_reinstall(zone),
                          _node('Execute upgrade zone health checker script', 'Co R',
                                'executor/ob/upgrade_ob.go:252 newExecZoneHealthCheckerNode'),
                          _node('Start %s' % zone, 'Co R', 'executor/ob/upgrade_start_zone.go:33 newStartZoneNode')]
        else:
            if freeze:
                nodes.append(dict(freeze_node))
            nodes += [_pre_script(), _health(), _reinstall(None), _health()]
        nodes += [_post_script(),
                  _node('Restore parameters', 'Co R', 'executor/ob/upgrade_params_restore.go:32 newRestoreParametersTask')]
    nodes.append(_remove_check_dir())
    name = '%s %s' % ('OB rolling upgrade' if rolling else 'OB stop service upgrade', version)
    return {'name': name, 'scope': 'cluster', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/upgrade_ob.go:106-188'}


def agent_upgrade(version='4.5.0.0-100000012026050817'):
    """executor/ob/upgrade_agent.go:70-76: UnMaintenance merged with the global agent template -> global."""
    nodes = _agent_upgrade_nodes() + [_remove_check_dir()]
    return {'name': 'Upgrade obshell %s' % version, 'scope': 'cluster', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/upgrade_agent.go:70-76 buildAgentUpgradeTemplate'}


def ob_upgrade_check(version='4.3.5.0-100000202024123117'):
    """executor/ob/upgrade_ob_check.go:92-103: not maintenance."""
    nodes = [_check_env()] + _agent_upgrade_nodes()[:4] + [_remove_check_dir()]
    return {'name': 'Upgrade check OB %s' % version, 'scope': 'cluster', 'maintenance': 'none', 'nodes': nodes,
            'go': 'executor/ob/upgrade_ob_check.go:92-103 buildObUpgradeCheckTemplate'}


def agent_upgrade_check(version='4.5.0.0-100000012026050817'):
    """executor/ob/upgrade_agent_check.go:158-169: not maintenance."""
    nodes = _agent_upgrade_nodes()[:4] + [_remove_check_dir()]
    return {'name': 'Upgrade check obshell %s' % version, 'scope': 'cluster', 'maintenance': 'none', 'nodes': nodes,
            'go': 'executor/ob/upgrade_agent_check.go:158-169 buildAgentUpgradeCheckTemplate'}


# ------------------------------------------------------------------------------------------------ tenants

def create_tenant(tenant='t1', parameters=False, time_zone=False, variables=False, import_script=False,
                  root_password=False):
    """executor/tenant/create_tenant.go:394-437 (clusterTaskService), tenant maintenance keyed by the name."""
    nodes = [_node('Create tenant', ALL5, 'executor/tenant/create_tenant.go:476 newCreateTenantTask')]
    if parameters:
        nodes.append(_node('Set tenant parameter', ALL5, 'executor/tenant/parameter.go:76 newSetTenantParameterTask'))
    nodes.append(_node('Modify tenant whitelist', 'C R Rb', 'executor/tenant/whitelist.go:67 newModifyTenantWhitelistTask'))
    if time_zone:
        nodes.append(_node('Set tenant time zone', ALL5, 'executor/tenant/create_tenant.go:623 newSetTenantTimeZoneTask'))
    if variables:
        nodes.append(_node('Set tenant variables', 'C Co R Rb', 'executor/tenant/variable.go:167 newSetTenantVariableTask'))
    if import_script:
        nodes.append(_node('Import script for tenant', 'C Co P R', 'executor/script/script.go:73 newImportScriptForTenantTask',
                           parallel=True))
    if root_password:
        nodes.append(_node('Set root password', 'C Co R Rb', 'executor/tenant/set_root_pwd.go:110 newSetRootPwdTask'))
    return {'name': 'Create tenant %s' % tenant, 'scope': 'cluster', 'maintenance': 'tenant', 'maintenance_key': tenant,
            'nodes': nodes, 'go': 'executor/tenant/create_tenant.go:394-437 buildCreateTenantDagTemplate'}


# ------------------------------------------------------------------------------------------------ obproxy

def _check_obproxy():
    # newPrepareForObproxyAgentNode: its context sets FAILURE_EXIT_MAINTENANCE (add.go:523)
    return _node('Check obproxy status', 'C Co P R', 'executor/obproxy/add.go:514 newPrepareForObproxyAgentNode',
                 failure_exit_maintenance=True)


def _start_obproxy():
    return _node('Start obproxy', ALL5, 'executor/obproxy/add.go:335 newStartObproxyTask')


def _stop_obproxy():
    return _node('Stop obproxy', ALL5, 'executor/obproxy/stop.go:55 newStopObproxyTask')


# Obproxy DAGs are local DAGs of type "obproxy" (SetType(DAG_OBPROXY)): ids 4…/5…, agent password only.
def start_obproxy():
    """executor/obproxy/start.go:30-33: no SetMaintenance, so NOT a maintenance DAG."""
    return {'name': 'Start obproxy', 'scope': 'obproxy', 'maintenance': 'none', 'nodes': [_check_obproxy(), _start_obproxy()],
            'go': 'executor/obproxy/start.go:30-33 StartObproxy'}


def stop_obproxy():
    """executor/obproxy/stop.go:36-40: obproxy maintenance."""
    return {'name': 'Stop obproxy', 'scope': 'obproxy', 'maintenance': 'obproxy', 'nodes': [_check_obproxy(), _stop_obproxy()],
            'go': 'executor/obproxy/stop.go:36-40 StopObproxy'}


def upgrade_obproxy():
    """executor/obproxy/upgrade.go:116-130: obproxy maintenance."""
    nodes = [
        _node('Create upgrade dir', ALL5, 'executor/obproxy/upgrade.go:352 newCreateObproxyUpgradeDirTask'),
        _node('Download obproxy pkg from sqlite', 'Co R Rb', 'executor/obproxy/package.go:54 newGetObproxyPkgTask'),
        _node('Check obproxy pkg', ALL5, 'executor/obproxy/package.go:178 newCheckObproxyPkgTask'),
        _node('Backup for upgrade', ALL5, 'executor/obproxy/package.go:328 newBackupObproxyForUpgradeTask'),
        _node('Reinstall obproxy bin', ALL5, 'executor/obproxy/package.go:230 newReinstallObproxyBinTask'),
        _node('Copy obproxy config db file', ALL5, 'executor/obproxy/upgrade.go:151 newCopyConfigDbFileTask'),
        _node('Record obproxy info', ALL5, 'executor/obproxy/upgrade.go:214 newRecordObproxyInfoTask'),
        _node('Hot restart obproxy', ALL5, 'executor/obproxy/upgrade.go:193 newHotRestartObproxyTask'),
        _node('Wait hot restart obproxy finish', ALL5, 'executor/obproxy/upgrade.go:248 newWaitHotRestartObproxyFinishTask'),
        _node('Remove upgrade dir', 'C Co P R', 'executor/obproxy/upgrade.go:410 newRemoveUpgradeCheckDirTask'),
    ]
    return {'name': 'Upgrade obproxy', 'scope': 'obproxy', 'maintenance': 'obproxy', 'nodes': nodes,
            'go': 'executor/obproxy/upgrade.go:116-130 buildUpgradeObproxyTemplate'}


def add_obproxy():
    """executor/obproxy/add.go:286-295: obproxy maintenance."""
    nodes = [_check_obproxy(), _start_obproxy(),
             _node('Set proxyro password for connect', 'C Co P R', 'executor/obproxy/add.go:557 NewSetObproxyUserPasswordForObNode'),
             _node('Persist obproxy info', 'C Co P R', 'executor/obproxy/add.go:476 newPersistObproxyInfoTask')]
    return {'name': 'Add obproxy', 'scope': 'obproxy', 'maintenance': 'obproxy', 'nodes': nodes,
            'go': 'executor/obproxy/add.go:286-295 buildAddObproxyTemplate'}


def delete_obproxy():
    """executor/obproxy/delete.go:33-40: obproxy maintenance."""
    nodes = [_check_obproxy(), _stop_obproxy(),
             _node('Delete obproxy', 'C Co P R', 'executor/obproxy/delete.go:54 newDeleteObproxyTask'),
             _node('Clean obproxy dir', 'C Co P R', 'executor/obproxy/delete.go:77 newCleanObproxyDirTask')]
    return {'name': 'Delete obproxy', 'scope': 'obproxy', 'maintenance': 'obproxy', 'nodes': nodes,
            'go': 'executor/obproxy/delete.go:33-40 DeleteObproxy'}


# ------------------------------------------------------------------------------------------------ the table

# template key (scenario "template": …) -> builder; keyword options come from the scenario's "options"
# ------------------------------------------------------------------------------------------------ no observer
# The DAGs an agent runs without an observer (spec §12), checked against a real 4.5.0.0 agent (docs/conformance.md).

# executor/agent/join_master.go:29-62: one local task, global maintenance; the agent becomes MASTER
def join_self():
    nodes = [_node('Join self', 'Co', 'executor/agent/join_master.go:33 AgentJoinSelfTask', logs=['set agent identity to master'])]
    return {'name': 'Join self', 'scope': 'local', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/agent/join_master.go:29-62 CreateJoinSelfDag'}


# executor/ob/init.go:26-63 (no proxyro user, no import script): "Start observer" fails without an observer, and so
# does every later node that needs one
def init_cluster():
    nodes = [
        _node('Integrate config', 'C Co R Rb', 'executor/ob/config.go:192 newIntegrateObConfigTask'),
        _node('Create observer workdir', 'C Co R Rb', 'executor/ob/deploy.go:37 newDeployTask', parallel=True),
        _node('Start observer', ALL5, 'executor/ob/start_obsvr.go:53 newStartObServerTask', parallel=True),
        _node('Cluster boostrap', 'C Co R Rb', 'executor/ob/bootstrap.go:37 newClusterBoostrapTask'),
        _node('Migrate table', 'C Co R Rb', 'executor/ob/migrate_meta.go:31 newMigrateTableTask'),
        _node('Modify password', 'Co R Rb', 'executor/ob/modify_pwd.go:34 newModifyPwdTask'),
        _node('Migrate data', 'C Co R Rb', 'executor/ob/migrate_meta.go:59 newMigrateDataTask'),
        _node('Convert follower to cluster agent', 'Co R Rb', 'executor/ob/convert.go:36 newConvertFollowerToClusterAgentTask'),
        _node('Synchronize agent from cluster', 'C Co R', 'executor/ob/sync_agent.go:36 newAgentSyncTask', parallel=True),
        _node('Convert master to cluster agent', 'Co R Rb', 'executor/ob/convert.go:44 newConvertMasterToClusterAgentTask'),
        _node('Synchronize agent from cluster', 'C Co R', 'executor/ob/sync_agent.go:36 newAgentSyncTask', parallel=True),
    ]
    return {'name': 'Initialize cluster', 'scope': 'local', 'maintenance': 'global', 'nodes': nodes,
            'go': 'executor/ob/init.go:26-63 CreateInitDag'}


TEMPLATES = {
    'scale_out': cluster_scale_out,
    'local_scale_out': local_scale_out,
    'scale_in': cluster_scale_in,
    'start': start_ob,
    'stop': stop_ob,
    'start_observer': start_observer,
    'stop_observer': stop_observer,
    'start_local_observer': start_local_observer,
    'stop_local_observer': stop_local_observer,
    'upgrade': ob_upgrade,
    'upgrade_obshell': agent_upgrade,
    'upgrade_check': ob_upgrade_check,
    'upgrade_check_obshell': agent_upgrade_check,
    'create_tenant': create_tenant,
    'start_obproxy': start_obproxy,
    'stop_obproxy': stop_obproxy,
    'upgrade_obproxy': upgrade_obproxy,
    'add_obproxy': add_obproxy,
    'delete_obproxy': delete_obproxy,
    'join_self': join_self,
    'init_cluster': init_cluster,
}

_NEEDS_ZONES = frozenset(['upgrade'])


def build(name, zones=('zone1', 'zone2', 'zone3'), **options):
    """A DAG spec (deep copy) by template key; ``zones`` feeds the per-zone nodes of the rolling upgrade."""
    try:
        builder = TEMPLATES[name]
    except KeyError:
        raise ValueError('unknown DAG template %r (known: %s)' % (name, ', '.join(sorted(TEMPLATES)))) from None
    if name in _NEEDS_ZONES:
        spec = builder(list(zones), **options)
    else:
        spec = builder(**options)
    return copy.deepcopy(spec)


def permission_table():
    """``[(template key, DAG name, node name, 'C Co P R Rb' letters, Go source)]`` for docs and tests."""
    rows = []
    letters = dict((key, letter) for letter, key in _LETTERS.items())
    for key in sorted(TEMPLATES):
        spec = build(key)
        for node in spec['nodes']:
            allowed = ' '.join(letters[k] for k in ('can_cancel', 'can_continue', 'can_pass', 'can_retry', 'can_rollback')
                               if node[k])
            rows.append((key, spec['name'], node['name'], allowed or '-', node['go']))
    return rows
