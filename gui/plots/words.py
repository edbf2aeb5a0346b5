"""How the window names hidden layers and saturation, the same on every tab: "hidden layer k of
N" (the lecture's module index in brackets where its printed tables are compared), and one
explanation of the two saturation thresholds the lecture uses."""
from __future__ import annotations

from core.diagnostics.stats import SATURATION_MASK_THRESHOLD, SATURATION_THRESHOLD

SATURATED = f"|h| > {SATURATION_THRESHOLD}"                  # the lecture's saturated % (its tables)
SATURATED_PICTURE = f"|h| > {SATURATION_MASK_THRESHOLD}"     # the lecture's white-pixel picture
THRESHOLDS_WHY = (f"Saturated % counts {SATURATED}, as the lecture's printed tables do; the picture whitens "
                  f"{SATURATED_PICTURE}, as the lecture's picture does\n(the stricter line shows the neurons "
                  "that pass almost no gradient back: tanh's 1 − h² is under 0.02 there).")


def hidden_layer(k: int, n: int) -> str:
    """Hidden layer k (0 = the first) of n, as every tab names it."""
    return f"hidden layer {k + 1} of {n}"


def with_module(k: int, n: int, index: int, kind: str) -> str:
    """Its name with the lecture's place in its list of modules, as its tables print it: [2 Tanh]."""
    return f"{hidden_layer(k, n)} [{index} {kind}]"


def saturates(kind: str) -> bool:
    """Whether a hidden layer whose output module is `kind` can saturate: only a tanh can."""
    return kind == "Tanh"
