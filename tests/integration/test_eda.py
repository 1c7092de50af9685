

def test_a_dag_that_fails_again_after_its_retry_is_reported_not_retried_again(sim_cluster, rulebooks):
    """The shipped rulebook retries once: the second failure of the same DAG (failure_count 2) is only reported."""
    sim = sim_cluster(agents=1, scenario='idle', step_seconds=0.4, password=PASSWORD)
    book = rulebooks('oceanbase.obshell.retry_failed_dag',
                     variables={'obshell_agents': [sim.agents[0].address], 'obshell_poll_interval': POLL},
                     print_events=True)
    book.wait_for(polling(sim), 90, 'the source polling the agent')
    sim.run_scenario({'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 2}]})
    gid = book.wait_for(lambda: sim.find_dag('Cluster scale out'), 10, 'the scale-out')
    failures = book.wait_for(lambda: len(named(book.events(), 'dag_failed')) >= 2 and named(book.events(), 'dag_failed'),
                             90, 'the second dag_failed')
    assert [event['failure_count'] for event in failures] == [1, 2]
    book.wait_for(lambda: 'dag_failed on %s: DAG %s' % (sim.agents[0].address, gid) in book.text(), 20,
                  'the second failure reported by the rulebook')
    time.sleep(4 * POLL)
    posts = [entry for entry in sim.requests if entry['method'] == 'POST' and entry['path'].endswith('/dag/%s' % gid)]
    assert len(posts) == 1
    assert book.text().count('TASK [Retry the DAG]') == 1
    assert sim.dag_state(gid)[0] == 'FAILED'
