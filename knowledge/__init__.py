"""The shop's knowledge: its own words on delivery, payment, returns, care, size charts; matched to questions."""
