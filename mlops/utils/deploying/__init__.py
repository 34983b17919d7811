"""The deploying_to_production pipeline's steps (unit_5_deploying): a test mail with the
alerts' SMTP settings, the deployer's IAM policy, Terraform for terraform/aws (plan by
default; apply and destroy only when asked), and what the CD workflow needs."""
