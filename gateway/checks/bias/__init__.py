"""Bias: a request-time flag on answers that ascribe traits to a demographic group
(`detector`), and the offline counterfactual audit of a model (`suite`, `audit`, `report`)."""
