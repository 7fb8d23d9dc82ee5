def uninstall_hook(env):
    """Without the queue, the scheduler runs the night itself again."""
    cron = env.ref("debtor_care.ir_cron_daily_run", raise_if_not_found=False)
    if cron:
        cron.code = "model._cron_daily_run()"
