"""Rule answers: a hand computation handed in as a function of what the instance prints is
graded on the student's instance and on instances the student never saw, where the package
cannot be reached. (Issue 20, item 5: a graded answer is never one call into the package.)"""

from __future__ import annotations

from mkteach.grading import Feedback, check_rule, check_value, hidden_seeds, seed_of
from mkteach.grading.remote import RemoteProgram
from mkteach.grading.runner import program_spec

# An instance is a machine: the rule gets its printed facts, the judge knows the model's cost.
MACHINES = [{"trap": 100 + 7 * k, "instructions": 40 + k, "cpi": 1.5} for k in range(4)]


def facts_of(machine):
    return dict(machine)


def model_cycles(machine):
    return machine["trap"] + machine["instructions"] * machine["cpi"]


def judge(machine, cycles):
    wrong = [(machine["trap"], "you counted the trap alone: the kernel's path costs too")]
    return check_value(cycles, model_cycles(machine), tolerance=0.01, wrong=wrong)


def grade(rule, points=2.0):
    return check_rule(rule, MACHINES, judge, facts_of, points=points, title="Q1",
                      asked="def cycles(facts): return the cycles")  # fmt: skip


def cycles(facts):
    return facts["trap"] + facts["instructions"] * facts["cpi"]


def test_a_hand_computation_right_everywhere_earns_every_point():
    fb = grade(cycles)
    assert fb.points == 2 and fb.possible == 2
    assert "the same on the 3 instances you did not see" in " ".join(fb.messages)


def test_the_value_of_ones_own_instance_earns_nothing_on_the_others():
    mine = model_cycles(MACHINES[0])  # what one call into the model gives for my machine
    fb = grade(lambda_free_constant(mine))
    assert fb.points == 0
    assert "your function returns 160.0 whatever its arguments" in fb.messages[-1]


def test_a_consistent_slip_keeps_the_credit_it_earns_on_the_own_instance():
    def half(machine, value):  # a judge that gives half for the trap alone
        if value == machine["trap"]:
            return Feedback(0.5, 1, ("you counted the trap alone",))
        return judge(machine, value)

    def trap_only(facts):
        return facts["trap"]

    fb = check_rule(trap_only, MACHINES, half, facts_of, points=2)
    assert fb.points == 1 and fb.messages[0] == "you counted the trap alone"


def test_numbers_and_the_packages_functions_are_not_rules():
    from mkteach.grading import ipc_costs

    def one_call(facts):
        return sum(ipc_costs("i486").values())

    def imports_inside(facts):
        import mkteach.grading as g

        return sum(g.ipc_costs("i486").values())

    def helper(facts):
        from mkteach.grading import ipc_costs

        return sum(ipc_costs("i486").values())

    def uses_helper(facts):
        return helper(facts)

    for answer, words in ((123, "your answer is int, not a function"),
                          (uses_helper, "uses_helper imports mkteach.grading"),
                          (ipc_costs, "comes from mkteach.grading.costs"),
                          (one_call, "uses ipc_costs from mkteach.grading.costs"),
                          (imports_inside, "imports mkteach.grading"),
                          (None, "no answer yet: write a function (def cycles")):  # fmt: skip
        fb = grade(answer)
        assert fb.points == 0 and words in fb.messages[0], (answer, fb.messages)


def test_a_lambda_is_a_function_too_here_and_in_the_sandbox():
    share = lambda facts: cycles(facts)  # noqa: E731 - a student's one-liner
    assert grade(share).points == 2 and grade(remote(share)).points == 2
    trap = lambda facts: facts["trap"]  # noqa: E731 - a helper lambda travels under its name
    both = lambda facts: trap(facts) + facts["instructions"] * facts["cpi"]  # noqa: E731
    assert grade(remote(both)).points == 2


def test_a_value_near_the_hidden_ones_by_chance_earns_nothing():
    def near(machine, value):  # a lenient judge: a near miss earns 0.6 of the points
        if value != model_cycles(machine) and abs(value - model_cycles(machine)) < 30:
            return Feedback(0.6, 1, ("a near miss",))
        return judge(machine, value)

    def right_at_home(facts):  # the own machine's trap is 100: elsewhere it is a little off
        return cycles(facts) + (0 if facts["trap"] == 100 else 5)

    fb = check_rule(right_at_home, MACHINES, near, facts_of, points=2)
    assert fb.points == 0 and "on 3 of 3 instances you did not see" in fb.messages[-1]
    assert "earns less: a near miss" in fb.messages[-1]


def lambda_free_constant(value):
    def constant(facts):
        return value

    return constant


def test_a_rule_that_never_returns_is_stopped_and_earns_nothing():
    def forever(facts):
        while True:
            pass

    fb = grade(forever)
    assert fb.points == 0 and "did not return" in fb.messages[0]


def test_hidden_instances_come_from_the_salt_and_differ_per_student():
    a, b = hidden_seeds("alice", "ex06-secret"), hidden_seeds("bob", "ex06-secret")
    assert len(a) == 3 and len(set(a)) == 3 and not set(a) & set(b)
    assert seed_of("alice") not in a and hidden_seeds("alice", "other") != a


def remote(fn):
    """Return `fn` as `mkteach grade` hands it to a test: source text run in a sandbox."""
    spec = {**program_spec(fn), "module": "__main__", "generator": False}
    return RemoteProgram(spec).program()


def test_graded_in_the_sandbox_the_right_rule_earns_every_point():
    fb = grade(remote(cycles))
    assert fb.points == 2, fb.messages


def test_in_the_graded_sandbox_no_package_can_be_imported_however_it_is_asked_for():
    def sneaky(facts):
        import importlib
        import sys

        sys.modules.pop("mkteach", None)  # the runner's own block is not the barrier
        g = importlib.import_module("mk" + "teach.grading")  # no import a reader could spot
        return sum(g.ipc_costs("i486").values())

    def other_packages(facts):
        import numpy  # installed beside mkteach: hidden too

        return numpy.float64(facts["trap"])

    for fn in (sneaky, other_packages):
        fb = grade(remote(fn))
        assert fb.points == 0, fn
        assert "ModuleNotFoundError" in fb.messages[0], fb.messages


def test_a_wrong_observation_earns_nothing_either_way_but_practice_does_not_call_it_all_right():
    from mkteach.grading import Practice

    graded = check_value("capacity", "capacity", points=3, title="Q2c")
    seen_right = check_value(12, 12, points=0, title="Q2a (no points)")
    seen_wrong = check_value(10, 12, points=0, title="Q2a (no points)")
    assert Practice("q2", graded + seen_right).correct
    both = graded + seen_wrong
    assert both.points == both.possible == 3 and not both.correct
    assert str(Practice("q2", both)).startswith("Practice q2 (no points): ~ partly right")
