"""Input and output checks.

registry   the one list of checks: policy name -> config model and implementing class
config     the base of every check's config model (`action`, classifier `threshold`)
base       the check interfaces and what a check reports (`CheckOutcome`, `Finding`)
texts      every text a request carries, read in one order and written back
runner     off-loop execution, batching, time budget and fail closed, for every check
input      the input stage (images, PII, then each registered input check)
output     the output stage: a chain of guards, PII scan and pseudonym restore last
"""
