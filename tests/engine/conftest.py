"""Hypothesis profiles for the engine tests.

``--hypothesis-profile=no-shrink`` reports the first failing example as found: checks that a
planted bug is caught need a verdict, not the smallest example (shrinking a 60-step run takes
minutes). ``--hypothesis-profile=mutation`` (make mutation) is that with 40 examples per
property test instead of 300: mutmut runs them once per mutant.
"""

from hypothesis import Phase, settings

NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
settings.register_profile("no-shrink", phases=NO_SHRINK)
settings.register_profile("mutation", phases=NO_SHRINK, max_examples=40)
