"""The package convention of CONTRIBUTING.md, checked over every module.

(a) no module imports a private (underscore) name from another public module:
    shared helpers live in ``textures_nb._shared`` or ``textures_nb._checks``
    (a subpackage may also keep private modules for itself, e.g.
    ``textures_nb.runner._common``);
(b) every public dataclass (results, configurations) has a repr under 300
    characters, built from small inputs; dataclasses are discovered by scanning
    the modules, so a new one fails here until it has a builder below;
(c) ``seed`` is keyword-only, default 0, wherever a public function or method
    takes it;
(d) progress bars come from ``textures_nb._shared.progress`` (``TQDM_DISABLE`` read
    at call time silences them all);
(e) every public function and class (each public module's ``__all__``) has a
    numpydoc ``Parameters`` section when it takes arguments and an ``Examples``
    section with a doctest: the API reference of the website (``make docs``) shows
    both, and ``--doctest-modules`` runs the examples.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import textures_nb

PACKAGE = Path(textures_nb.__file__).resolve().parent
MAX_REPR = 300
# private modules any module may import from
SHARED = ("textures_nb._shared", "textures_nb._checks")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (
        PACKAGE.parent / rel / "__init__.py"
    ).exists()


def _private_name(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _may_use_private_module(importer: str, module: str) -> bool:
    """Private modules: the shared ones, or one of the importer's own (sub)package."""
    if module.startswith(SHARED):
        return True
    owner = module.rsplit(".", 1)[0]  # the package a private module belongs to
    while _is_private(owner) and "." in owner:
        owner = owner.rsplit(".", 1)[0]
    return owner != "textures_nb" and (importer == owner or importer.startswith(owner + "."))


def _private_imports(path: Path) -> list[str]:
    """``module:line: name`` for every private name reached in another public module."""
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> textures_nb module it is bound to

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def check_source(module: str, name: str, line: int) -> None:
        if module == me or not module.startswith("textures_nb"):
            return
        if _is_private(module):
            if not _may_use_private_module(me, module):
                found.append(f"{me}:{line}: {module}.{name} (private module of another package)")
            return
        if _private_name(name):
            found.append(f"{me}:{line}: {module}.{name}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = resolve(node)
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if _is_module(full):  # `from textures_nb import multiscale`
                    if _is_private(full) and not _may_use_private_module(me, full):
                        found.append(f"{me}:{node.lineno}: {full} (private module)")
                    aliases[alias.asname or alias.name] = full
                else:
                    check_source(module, alias.name, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("textures_nb"):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases.setdefault("textures_nb", "textures_nb")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private_name(node.attr):
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                module = ".".join([aliases[value.id], *reversed(chain)])
                if _is_module(module):
                    check_source(module, node.attr, node.lineno)
    return found


def test_no_module_imports_a_private_name_of_another_module():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _private_imports(path)]
    assert not found, (
        "private names reached across modules (move the helper to textures_nb/_shared/):\n"
        + "\n".join(found)
    )


def test_the_private_import_check_can_fail(tmp_path, monkeypatch):
    # the checker itself, on files that break the rule in each way it knows
    fake = tmp_path / "textures_nb"
    (fake / "runner").mkdir(parents=True)
    (fake / "_shared").mkdir()
    for name in ("__init__.py", "multiscale.py", "_checks.py", "runner/__init__.py",
                 "runner/_common.py", "_shared/__init__.py", "_shared/layout.py"):  # fmt: skip
        (fake / name).write_text("")
    cases = {
        "from textures_nb.multiscale import _wavelet": 1,
        "from .multiscale import _wavelet as w": 1,
        "from textures_nb import multiscale as ms\nms._n_details(3)": 1,
        "import textures_nb.multiscale\ntextures_nb.multiscale._scale_pair(1)": 1,
        "from textures_nb.runner._common import read_json": 1,  # another package's private
        "from textures_nb._shared.layout import _parse, parse\nfrom textures_nb import _checks": 0,
        "from textures_nb.multiscale import log_cumulants\nfrom textures_nb.x import __all__": 0,
    }
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    for source, expected in cases.items():
        path = fake / "quality.py"
        path.write_text(source)
        assert len(_private_imports(path)) == expected, source
    (fake / "runner" / "grid.py").write_text("from textures_nb.runner._common import read_json")
    assert _private_imports(fake / "runner" / "grid.py") == []  # its own package's helper


# --- (b) compact reprs ---------------------------------------------------------------------


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(textures_nb.__path__, "textures_nb."):
        if not _is_private(info.name) and not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


def _import(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


IMPORT_ERRORS: dict[str, str] = {}


def _public_dataclasses() -> list[type]:
    found = []
    for name in _public_modules():
        try:
            module = _import(name)
        except Exception as exc:  # reported by test_every_public_module_imports
            IMPORT_ERRORS[name] = f"{type(exc).__name__}: {exc}"
            continue
        for attr, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == name
                and not attr.startswith("_")
                and dataclasses.is_dataclass(obj)
            ):
                found.append(obj)
    return found


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# Small inputs, shared by the builders (each built once per session).
_CACHE: dict[str, object] = {}


def _once(key: str, make: Callable[[], object]):
    if key not in _CACHE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _CACHE[key] = make()
    return _CACHE[key]


def _signal():
    from textures_nb import processes

    return _once("signal", lambda: processes.mrw(4096, 0.7, 0.2, seed=0))


def _image():
    from textures_nb import processes

    return _once("image", lambda: processes.fbf((128, 128), 0.7, seed=0))


def _log_cumulants():
    from textures_nb import multiscale

    return _once(
        "lc", lambda: multiscale.log_cumulants(_signal(), scales=(2, 7), n_boot=20, seed=0)
    )


def _multichannel():
    from textures_nb import multiscale, processes

    def make():
        x = np.stack([_signal(), processes.mrw(4096, 0.6, 0.1, seed=1)])
        return multiscale.multichannel_log_cumulants(x, scales=(2, 7))

    return _once("mc", make)


def _gan_config():
    from textures_nb import generative

    return generative.DCGANConfig(width=4, latent=8, epochs=1, batch_size=8)


def _gan_data():
    from textures_nb import generative

    return _once("gan data", lambda: generative.mrw_dataset(16, 16, 0.7, 0.1, seed=0))


def _database():
    from textures_nb import data

    return _once("db", lambda: data.demo_database(8, 32, seed=0))


def _feature_comparison():
    from textures_nb import similarity

    def make():
        db = _database()
        train, queries = db.split(0.25, seed=0)
        return similarity.compare_features(train, queries, ("wavelet",), k=2, progress=False)

    return _once("features", make)


def _consensus():
    from textures_nb import confidence

    def make():
        rng = np.random.default_rng(0)
        x = np.concatenate([rng.normal(size=(15, 4)) + 8 * i for i in range(3)])
        return confidence.consensus_clustering(
            x, range(2, 4), n_resamples=5, n_null=3, seed=0, progress=False
        )

    return _once("consensus", make)


def _notebook_run():
    from textures_nb.runner.execute import NotebookRun

    return NotebookRun(
        "nb",
        "failed",
        1.5,
        Path("runs/x/nb.ipynb"),
        Path("notebooks/nb.ipynb"),
        parameters={f"p{i}": i for i in range(50)},
        cell=3,
        error="ValueError: " + "x" * 190,
        results={"values": list(range(1000))},
        run_id="nb_" + "p=1_" * 20,
    )


def _quality(name: str):
    from textures_nb import quality

    img = _image()
    if name == "QualityReport":
        return quality.compare(img[:64], img[64:], n_null=19, seed=0, progress=False)
    return quality.loss_vs_quality(
        img[:64, :64], checkpoints=(3, 6), seeds=(0,), n_null=19, progress=False
    )


def _complexity(name: str):
    from textures_nb import complexity as cx

    task = _once("task", lambda: cx.texture_task("fbf", 0.2, n_per_class=8, size=16, seed=0))
    if name == "TextureTask":
        return task
    if name == "TaskComplexity":
        return cx.task_complexity(task.images.reshape(len(task.images), -1), task.labels)
    if name == "ArchitectureComplexity":
        return cx.architecture_complexity(cx.TextureCNN(4, 1), (1, 16, 16))
    if name == "CapacityResult":
        return cx.empirical_capacity(
            lambda: cx.TextureCNN(4, 1), task.images, epochs=2, seed=0, progress=False
        )
    return cx.sweep(
        [0.2], [(4, 1)], 1, n_per_class=8, size=16, epochs=2, progress=False
    )  # SweepResult


BUILDERS: dict[str, Callable[[], object]] = {
    "textures_nb.multiscale.WaveletCoefs": lambda: _import("textures_nb.multiscale").wavelet_coefs(
        _image()[:64, :64]
    ),
    "textures_nb.multiscale.LogCumulants": _log_cumulants,
    "textures_nb.multiscale.StructureFunctions": lambda: _import(
        "textures_nb.multiscale"
    ).structure_functions(_signal(), scales=(2, 7)),
    "textures_nb.multiscale.MultifractalSpectrum": lambda: _import(
        "textures_nb.multiscale"
    ).multifractal_spectrum(_log_cumulants()),
    "textures_nb.multiscale.MultichannelLogCumulants": _multichannel,
    "textures_nb.multiscale.JointLogCumulants": lambda: next(iter(_multichannel().pairs.values())),
    "textures_nb.quality.QualityReport": lambda: _quality("QualityReport"),
    "textures_nb.quality.LossQualityStudy": lambda: _quality("LossQualityStudy"),
    "textures_nb.synthesis.SynthesisResult": lambda: _import("textures_nb.synthesis").synthesize(
        _image()[:64, :64], method="gram", n_iter=2, seed=0, progress=False
    ),
    "textures_nb.generative.DCGANConfig": _gan_config,
    "textures_nb.generative.GANRun": lambda: _import("textures_nb.generative").train(
        _gan_data(), _gan_config(), seed=0, progress=False
    ),
    "textures_nb.generative.RepeatedTraining": lambda: _import(
        "textures_nb.generative"
    ).repeat_training(_gan_data(), _gan_config(), [0, 1], progress=False),
    "textures_nb.confidence.RepeatResult": lambda: _import("textures_nb.confidence").repeat(
        lambda s: {"c1": 0.1 * s, "c2": -0.01 * s}, [0, 1, 2], progress=False
    ),
    "textures_nb.confidence.ConsensusResult": _consensus,
    "textures_nb.data.TextureDatabase": _database,
    "textures_nb.similarity.FeatureComparison": _feature_comparison,
    "textures_nb.runner.execute.NotebookRun": _notebook_run,
    **{
        f"textures_nb.complexity.{name}": (lambda name=name: _complexity(name))
        for name in (
            "TextureTask",
            "TaskComplexity",
            "ArchitectureComplexity",
            "CapacityResult",
            "SweepResult",
        )
    },
}


def _generic(cls: type):
    """An instance of a dataclass without a builder: big values for every field."""
    kwargs = {}
    hints = {}
    with pytest.MonkeyPatch.context():
        try:
            import typing

            hints = typing.get_type_hints(cls)
        except Exception:
            hints = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        hint = str(hints.get(f.name, f.type))
        if "bool" in hint:
            kwargs[f.name] = True
        elif "int" in hint:
            kwargs[f.name] = 3
        elif "float" in hint:
            kwargs[f.name] = 1.5
        elif "str" in hint or "Path" in hint:
            kwargs[f.name] = "x" * 20
        elif "list" in hint or "Sequence" in hint or "tuple" in hint:
            kwargs[f.name] = ["item"] * 100
        elif "dict" in hint or "Mapping" in hint:
            kwargs[f.name] = {f"k{i}": i for i in range(100)}
        else:
            kwargs[f.name] = np.zeros(1000)
    return cls(**kwargs)


DATACLASSES = _public_dataclasses()


def test_every_public_module_imports():
    assert not IMPORT_ERRORS, IMPORT_ERRORS


@pytest.mark.parametrize("cls", [pytest.param(c, id=_qualname(c)) for c in DATACLASSES])
def test_every_public_dataclass_has_a_compact_repr(cls):
    builder = BUILDERS.get(_qualname(cls))
    if builder is None:
        try:
            instance = _generic(cls)
        except Exception as exc:
            pytest.fail(
                f"{_qualname(cls)}: no builder in tests/test_conventions.py::BUILDERS and the "
                f"generic one failed ({type(exc).__name__}: {exc}); add a builder."
            )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            instance = builder()
    assert type(instance) is cls, f"builder of {_qualname(cls)} gave {type(instance)}"
    text = repr(instance)
    assert len(text) < MAX_REPR, (
        f"repr of {_qualname(cls)} has {len(text)} characters (limit {MAX_REPR}); declare "
        f"array/table/module fields with field(repr=False): {text[:400]}"
    )


def test_the_known_results_are_discovered():
    found = {c.__qualname__ for c in DATACLASSES}
    expected = {
        "LogCumulants",
        "WaveletCoefs",
        "MultichannelLogCumulants",
        "QualityReport",
        "SynthesisResult",
        "GANRun",
        "ConsensusResult",
        "RepeatResult",
        "FeatureComparison",
        "LossQualityStudy",
        "RepeatedTraining",
        "TextureDatabase",
    }
    assert expected <= found, sorted(expected - found)


# --- (c) seed ------------------------------------------------------------------------------


def _public_callables():
    """(qualified name, callable) for public functions, methods and constructors."""
    for name in _public_modules():
        if name in IMPORT_ERRORS:
            continue
        module = _import(name)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != name:
                continue
            if inspect.isfunction(obj):
                yield f"{name}.{attr}", obj
            elif inspect.isclass(obj):
                for meth_name, meth in vars(obj).items():
                    if isinstance(meth, (classmethod, staticmethod)):
                        meth = meth.__func__
                    if not inspect.isfunction(meth):
                        continue
                    if meth_name == "__init__" and dataclasses.is_dataclass(obj):
                        continue  # generated: fields are positional by design
                    if meth_name.startswith("_") and meth_name != "__init__":
                        continue
                    yield f"{name}.{attr}.{meth_name}", meth


def _seed_parameters():
    for qualname, fn in _public_callables():
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        if "seed" in params:
            yield qualname, params["seed"]


def test_seed_is_keyword_only_everywhere():
    positional = [
        qualname
        for qualname, param in _seed_parameters()
        if param.kind is not inspect.Parameter.KEYWORD_ONLY
    ]
    assert not positional, "make `seed` keyword-only (after `*`) in: " + ", ".join(positional)


def test_seed_defaults_to_0_everywhere():
    other = [
        f"{qualname} (seed={param.default!r})"
        for qualname, param in _seed_parameters()
        if param.default is inspect.Parameter.empty or param.default != 0
    ]
    assert not other, "give `seed` the default 0 in: " + ", ".join(other)


# --- (d) progress bars --------------------------------------------------------------------


def test_progress_bars_come_from_the_shared_helper():
    direct = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "_shared" and path.name == "progress.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tqdm":
                direct.append(f"{_module_name(path)}:{node.lineno}")
            elif isinstance(node, ast.Import) and any(
                a.name.split(".")[0] == "tqdm" for a in node.names
            ):
                direct.append(f"{_module_name(path)}:{node.lineno}")
    assert not direct, (
        "import tqdm from textures_nb._shared.progress (it honours TQDM_DISABLE at call "
        "time): " + ", ".join(direct)
    )


def test_seed_values_accepted_the_same_way_by_numpy_and_torch_code():
    import numpy as np

    from textures_nb._checks import as_generator, torch_seed

    assert torch_seed(3) == 3
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert torch_seed(g1) == torch_seed(g2)  # a Generator decides the result
    assert isinstance(torch_seed(None), int) and isinstance(as_generator(None), np.random.Generator)
    for bad in ("a", 1.5, True):
        with pytest.raises(TypeError, match="`seed` must be None, an int or"):
            torch_seed(bad)
    with pytest.raises(ValueError, match="`seed` must be >= 0"):
        torch_seed(-1)


# --- (e) API entries: parameters and an example ------------------------------------------


_SECTION = r"^{}\n-{{3,}}\s*$"


def _has_section(doc: str, title: str) -> bool:
    import re

    return re.search(_SECTION.format(title), doc, re.M) is not None


def _docstring_gaps(obj) -> list[str]:
    """What the numpydoc docstring of a public function or class lacks."""
    doc = inspect.getdoc(obj) or ""
    target = obj
    if inspect.isclass(obj):
        init = vars(obj).get("__init__")
        if init is not None and not dataclasses.is_dataclass(obj):
            doc += "\n" + (inspect.getdoc(init) or "")  # numpydoc accepts either place
            target = init
    gaps = []
    try:
        params = [
            p for p in inspect.signature(target).parameters.values()
            if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]  # fmt: skip
    except (TypeError, ValueError):
        params = []
    fields = "Attributes" if dataclasses.is_dataclass(obj) else None
    if params and not (_has_section(doc, "Parameters") or (fields and _has_section(doc, fields))):
        gaps.append("Parameters")
    if not _has_section(doc, "Examples") or ">>>" not in doc.split("Examples", 1)[-1]:
        gaps.append("Examples")
    return gaps


def _public_api() -> dict[str, object]:
    """``module.name`` -> object for every function and class in a public ``__all__``.

    Modules: every public module of the package (``_SUBMODULES`` and the public
    modules of subpackages such as ``runner``); an object re-exported by an alias
    module (``batch``, ``devtools``, ``runner``) is listed once, at home.
    """
    api: dict[str, object] = {}
    for name in _public_modules():
        if name in IMPORT_ERRORS:
            continue
        module = _import(name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [a for a, o in vars(module).items() if getattr(o, "__module__", "") == name]
        for attr in names:
            if attr.startswith("_"):
                continue
            obj = getattr(module, attr)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not getattr(obj, "__module__", "").startswith("textures_nb"):
                continue
            api.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return api


def test_public_api_covers_every_submodule():
    modules = set(_public_modules())
    missing = {f"textures_nb.{m}" for m in textures_nb._SUBMODULES} - modules
    assert not missing, missing
    assert len(_public_api()) > 50


def test_every_public_function_and_class_has_parameters_and_an_example():
    gaps = {name: g for name, obj in sorted(_public_api().items()) if (g := _docstring_gaps(obj))}
    assert not gaps, (
        f"{len(gaps)} public names lack numpydoc sections (add them; Examples must be "
        "fast doctests):\n" + "\n".join(f"  {n}: {', '.join(g)}" for n, g in gaps.items())
    )


def test_the_docstring_check_can_fail():
    def documented(x: int) -> int:
        """Twice x.

        Parameters
        ----------
        x : int

        Examples
        --------
        >>> documented(2)
        4
        """
        return 2 * x

    def no_example(x: int) -> int:
        """Twice x.

        Parameters
        ----------
        x : int
        """
        return 2 * x

    def nothing(x):
        """Examples are mentioned here but there is no section."""

    class Plain:
        """A class.

        Examples
        --------
        >>> Plain(1)  # doctest: +ELLIPSIS
        <...>
        """

        def __init__(self, n):
            self.n = n

    @dataclasses.dataclass
    class Result:
        """A result.

        Attributes
        ----------
        n : int

        Examples
        --------
        >>> Result(1).n
        1
        """

        n: int

    assert _docstring_gaps(documented) == []
    assert _docstring_gaps(no_example) == ["Examples"]
    assert _docstring_gaps(nothing) == ["Parameters", "Examples"]
    assert _docstring_gaps(Plain) == ["Parameters"]
    assert _docstring_gaps(Result) == []
