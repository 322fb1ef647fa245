"""The call as one state machine: positions, events, one pure `step`, scenes, and the URL codec."""
