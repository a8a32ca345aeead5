"""Messages that go out to people: e-mail (SMTP), SMS (a provider) and the in-app inbox."""
