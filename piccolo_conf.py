# For the `piccolo` command line (e.g. `piccolo migrations new okmarts --auto`); the app and
# `okmarts migrate` read the same configuration from okmarts.piccolo_conf.
from okmarts.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
