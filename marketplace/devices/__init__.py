"""Connected devices: credentials, telemetry intake, rules, and the visits they open."""
