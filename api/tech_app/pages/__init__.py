"""The technician app's page controllers, one per screen."""
