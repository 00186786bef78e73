import dramatiq

from billing.services import subscription_periods_advance


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def subscription_periods_advance_task() -> None:
    subscription_periods_advance()
