from typing import Any, Dict

from mlops.utils.deploying.steps import setup_email as send_test_mail

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom


@custom
def setup_email(*args, **kwargs) -> Dict[str, Any]:
    """A test mail to ALERT_EMAILS through SMTP_HOST, sent as the alerts are: proves the alert
    settings before anything is deployed. Missing SMTP_HOST or ALERT_EMAILS fails, naming them."""
    return send_test_mail(kwargs)
