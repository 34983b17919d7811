"""The retraining plan: a window of the champion's length ending at the newest month."""

from mlops.utils.data_preparation.months import month_range
from mlops.utils.tracking.trained_range import TrainedRange
from mlops.utils.triggering.plan import plan_retraining

TRAINED = TrainedRange(
    model='m',
    version='3',
    start_month='2023-01',
    end_month='2023-03',
    taxi_colour='green',
    data_source='/data',
    split_on_feature='lpep_pickup_datetime',
)


def test_nothing_new_says_why():
    plan = plan_retraining(TRAINED, [])
    assert not plan.retrain and plan.preparation_variables == {}
    assert plan.message.startswith('no new month after 2023-03 at /data')
    assert 'version 3 stays champion' in plan.message


def test_the_window_slides_to_the_newest_month_and_validates_on_it():
    for new in (['2023-04'], ['2023-04', '2023-05', '2023-06']):
        variables = plan_retraining(TRAINED, new).preparation_variables
        assert variables['end_month'] == new[-1] and variables['split_on_feature_value'] == f'{new[-1]}-01'
        assert len(month_range(variables['start_month'], variables['end_month'])) == len(
            month_range(TRAINED.start_month, TRAINED.end_month)
        )
        assert variables['split_on_feature'] == TRAINED.split_on_feature
        assert variables['data_source'] == TRAINED.data_source


def test_across_a_year_and_another_source():
    trained = TrainedRange('m', '1', '2023-11', '2023-12', 'green', '/data', '')
    plan = plan_retraining(trained, ['2024-01'], source='http://mirror')
    assert plan.preparation_variables == {
        'start_month': '2023-12',
        'end_month': '2024-01',
        'split_on_feature_value': '2024-01-01',
        'taxi_colour': 'green',
        'data_source': 'http://mirror',
    }
    assert 'retraining on 2023-12..2024-01, validating on 2024-01' in plan.message


def test_the_cadence_waits_for_enough_new_months_and_says_so():
    waiting = plan_retraining(TRAINED, ['2023-04', '2023-05'], needed=3)
    assert not waiting.retrain and waiting.preparation_variables == {}
    assert waiting.message.startswith('2 new month(s) 2023-04, 2023-05 after 2023-03: retraining waits for 3')
    assert 'retrain_after_new_months' in waiting.message and 'version 3 stays champion' in waiting.message
    due = plan_retraining(TRAINED, ['2023-04', '2023-05', '2023-06'], needed=3)
    assert due.retrain and due.preparation_variables['end_month'] == '2023-06'
    assert due.message.endswith('why: 3 new month(s), the cadence retrains on 3 (retrain_after_new_months)')


def test_a_requested_retraining_says_who_asked():
    plan = plan_retraining(TRAINED, ['2023-04'], requested_by='monitoring run abc: breached twice')
    assert plan.retrain and plan.reason == 'requested: monitoring run abc: breached twice'
    assert plan.message.endswith('why: requested: monitoring run abc: breached twice')
