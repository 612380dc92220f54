"""minigrad: a small, typed autodiff engine with five interchangeable backward strategies."""

from minigrad import functions, nn, optim
from minigrad.anomaly import detect_anomaly
from minigrad.backward import (
    BackwardStats,
    WalkResult,
    available_strategies,
    get_default_strategy,
    register_strategy,
    set_default_strategy,
    unregister_strategy,
    use_strategy,
)
from minigrad.derivatives import grad, hessian, hvp
from minigrad.errors import (
    AnomalyError,
    CheckpointError,
    CycleError,
    GradientMapError,
    GraphTooDeepError,
    InplaceModificationError,
    MinigradError,
    PathExplosionError,
    RequiresGradError,
    SettingError,
    ShapeError,
    UnknownStrategyError,
)
from minigrad.functions import *  # noqa: F403 - the functions of Values: functions.__all__
from minigrad.grad_mode import no_grad
from minigrad.value import Value

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "BackwardStats",
    "CheckpointError",
    "CycleError",
    "GradientMapError",
    "GraphTooDeepError",
    "InplaceModificationError",
    "MinigradError",
    "PathExplosionError",
    "RequiresGradError",
    "SettingError",
    "ShapeError",
    "UnknownStrategyError",
    "Value",
    "WalkResult",
    "__version__",
    "available_strategies",
    "get_default_strategy",
    "grad",
    "hessian",
    "hvp",
    "nn",
    "optim",
    "no_grad",
    "register_strategy",
    "set_default_strategy",
    "unregister_strategy",
    "use_strategy",
]
__all__ += functions.__all__  # abs, clip, concatenate, ..., where
