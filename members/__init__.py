"""Members' learning archive: member accounts, their sessions on the public origin, recorded study, points and commendations."""
