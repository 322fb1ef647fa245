"""The helpline's Twilio account from the command line: purge call records, set up and check
the number, place a test call. Everything goes through the official `twilio` client, made by
`client.make_client`, and nothing printed or logged ever names a call or a caller."""
