"""The web foundation shared by the server-rendered apps (staff console, customer phone app)."""
