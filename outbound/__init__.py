"""Everything the bot sends: texts, pacing, the managers' queue and cards, Business connections."""
