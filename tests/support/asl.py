"""How the ASL treats an error, as Step Functions decides it."""


def is_retried(state: dict, error: str) -> bool:
    """Step Functions uses the first retrier that names the error (or States.ALL); the error is
    retried when that retrier allows any attempt."""
    for retrier in state.get("Retry", []):
        names = retrier["ErrorEquals"]
        if error in names or "States.ALL" in names:
            return retrier.get("MaxAttempts", 3) > 0
    return False


def worst_case_seconds(asl: dict, lambda_timeouts: dict[str, int]) -> float:
    """The longest an execution can take: every task failing as slowly as it can through every
    retry (each retrier exhausted in turn: their counters are separate), along the longest path.

    `lambda_timeouts` maps a Lambda task's FunctionName (as written in the ASL) to the
    function's Timeout; other tasks are bounded by their TimeoutSeconds.
    """
    states = asl["States"]

    def task_seconds(state: dict) -> float:
        function = state.get("Parameters", {}).get("FunctionName")
        attempt = lambda_timeouts[function] if function else state["TimeoutSeconds"]
        total = attempt
        for retrier in state.get("Retry", []):
            interval = retrier.get("IntervalSeconds", 1)
            backoff = retrier.get("BackoffRate", 2.0)
            cap = retrier.get("MaxDelaySeconds", float("inf"))
            for retry in range(retrier.get("MaxAttempts", 3)):
                total += min(interval * backoff**retry, cap) + attempt
        return total

    def successors(state: dict) -> list[str]:
        nexts = [state["Next"]] if "Next" in state else []
        nexts += [c["Next"] for c in state.get("Catch", [])]
        nexts += [c["Next"] for c in state.get("Choices", [])]
        nexts += [state["Default"]] if "Default" in state else []
        return nexts

    memo: dict[str, float] = {}

    def longest(name: str) -> float:
        if name not in memo:
            state = states[name]
            own = task_seconds(state) if state["Type"] == "Task" else 0.0
            memo[name] = own + max((longest(n) for n in successors(state)), default=0.0)
        return memo[name]

    return longest(asl["StartAt"])
