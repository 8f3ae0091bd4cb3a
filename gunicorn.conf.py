# gunicorn reads this file from the directory it starts in (see the Procfile).
# Secrets in feed, answer and account links stay out of the access and error logs.
logger_class = "copf.gunicorn_logger.RedactingLogger"
