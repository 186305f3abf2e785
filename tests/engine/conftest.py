"""Hypothesis profiles for the engine tests.

``--hypothesis-profile=no-shrink`` reports the first failing example as found: `make mutation`
and checks that a planted bug is caught need a verdict, not the smallest example (shrinking a
60-step run takes minutes).
"""

from hypothesis import Phase, settings

settings.register_profile("no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate])
