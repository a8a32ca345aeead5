"""The customer phone web app under /app: the page a customer's access link opens."""
