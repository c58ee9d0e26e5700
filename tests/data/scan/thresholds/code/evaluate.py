"""One bandit finding of medium severity and nothing else: eval of its argument (B307)."""


def compute(expression: str) -> object:
    return eval(expression)
