"""pytorch-metric-learning's AccuracyCalculator with threshold consistency beside its metrics.

    from tcmscope.pml import AccuracyCalculator
    calculator = AccuracyCalculator(include=("precision_at_1", "mean_average_precision_at_r", "opis"))
    calculator.get_accuracy(query, query_labels)          # {"precision_at_1": …, "opis": …}

The metrics are added the way PML documents custom ones (a `calculate_<name>` method each), so
PML's testers and hooks report them too: "opis" and "epsilon_opis", and with bootstrap=B
"opis_low", "opis_high", "epsilon_opis_low", "epsilon_opis_high" (the intervals of `analyze
--bootstrap B`; ε-OPIS's are NaN under 1000 classes, where `analyze` withholds that interval). They are measured by `tcmscope.analyze` on the pairs of the query set
(its options through `options=`, e.g. options={"far_range": (1e-1, 1e-3)}), once per
get_accuracy call however many of them are asked for. They are set-level figures: a float even
with avg_of_avgs or return_per_class (those apply to PML's metrics). Without faiss, the k-NN
search runs in torch (L2, as PML's faiss default) and NMI, AMI are left out unless included."""
import importlib.util

from pytorch_metric_learning.utils import accuracy_calculator as _pml

from ._commands import analyze

_INTERVALS = ("opis_low", "opis_high", "epsilon_opis_low", "epsilon_opis_high")


def _has_faiss():
    return importlib.util.find_spec("faiss") is not None


def _torch_knn():
    """The search of PML's default k-NN (faiss IndexFlatL2: L2 on the raw embeddings), in torch."""
    from pytorch_metric_learning.distances import LpDistance
    from pytorch_metric_learning.utils.inference import CustomKNN

    return CustomKNN(LpDistance(normalize_embeddings=False, p=2, power=1), batch_size=4096)


class AccuracyCalculator(_pml.AccuracyCalculator):
    def __init__(self, *args, options=None, bootstrap=None, **kwargs):
        self.tcmscope_options = dict(options or {})
        self.bootstrap = bootstrap
        include, exclude = kwargs.get("include", ()), tuple(kwargs.get("exclude", ()))
        if bootstrap is None:
            asked = [name for name in include if name in _INTERVALS]
            if asked:
                raise ValueError(f"{', '.join(asked)} need bootstrap=B (replicates), e.g. bootstrap=1000")
            kwargs["exclude"] = exclude + tuple(name for name in _INTERVALS if name not in exclude)
        # Without faiss, PML's default k-NN and k-means fail at the first call: the k-NN is done in
        # torch instead, and the clustering metrics (NMI, AMI) are left out unless asked for.
        if not _has_faiss():
            if kwargs.get("knn_func") is None:
                kwargs["knn_func"] = _torch_knn()
            if not include:
                kwargs["exclude"] = tuple(kwargs["exclude"] if "exclude" in kwargs else exclude) + tuple(
                    name for name in ("NMI", "AMI") if name not in exclude)
        self._report = None
        super().__init__(*args, **kwargs)

    def get_accuracy(self, *args, **kwargs):
        self._report = None  # one analysis per call, shared by every OPIS metric it asks for
        try:
            return super().get_accuracy(*args, **kwargs)
        finally:
            self._report = None

    def _analysis(self, query, query_labels):
        if self._report is None:
            options = dict(self.tcmscope_options)
            if self.bootstrap is not None and any(name in self.get_curr_metrics() for name in _INTERVALS):
                options["bootstrap"] = self.bootstrap
            self._report = analyze(query, query_labels, figure=False, **options)
        return self._report

    def calculate_opis(self, query, query_labels, **kwargs):
        return self._analysis(query, query_labels).opis

    def calculate_epsilon_opis(self, query, query_labels, **kwargs):
        return self._analysis(query, query_labels).epsilon_opis

    def calculate_opis_low(self, query, query_labels, **kwargs):
        return self._analysis(query, query_labels).intervals["opis"][0]

    def calculate_opis_high(self, query, query_labels, **kwargs):
        return self._analysis(query, query_labels).intervals["opis"][1]

    # NaN under 1000 classes: no ε-OPIS interval holds its level there, so `analyze` gives none
    # (Report.epsilon_opis_withheld says why); PML's records want a number per metric.
    def calculate_epsilon_opis_low(self, query, query_labels, **kwargs):
        return self._analysis(query, query_labels).intervals.get("epsilon_opis", (float("nan"),) * 2)[0]

    def calculate_epsilon_opis_high(self, query, query_labels, **kwargs):
        return self._analysis(query, query_labels).intervals.get("epsilon_opis", (float("nan"),) * 2)[1]
