"""A model card per registered version: what data made it, how wrong it is where (overall and by
slice), what it was compared with and what the registry decided, why it predicts what it does,
how its validation month drifted from its training months, how to refit it, and what it is for.

Computed from the rows and model in hand when the version is registered (``card``), rendered as
Markdown (``markdown``), written as artifacts of the version's run with a version tag pointing
at them, and read back for the dashboards (``record``)."""
