"""Runs a user's pgen file for maestro and writes its parameters as JSON.

argv: SHIM_DIR FALLBACK_DIR PGEN_FILE REQUEST_JSON RESULT_JSON
"""

import importlib.util
import json
import os
import sys


class _Value:
    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "Variable(%r)" % (self.value,)


class StudyEnvironment:
    """The study environment a pgen sees: find(NAME).value, None-safe."""

    def __init__(self, items):
        self._items = {k: _Value(v) for k, v in items.items()}

    def find(self, key):
        return self._items.get(key)


def _typed(kind, text):
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text


def main():
    shim, fallback, path, request_path, result_path = sys.argv[1:6]
    sys.path.insert(0, shim)
    sys.path.insert(1, os.path.dirname(os.path.abspath(path)))
    sys.path.append(fallback)
    with open(request_path) as f:
        req = json.load(f)
    env = StudyEnvironment({v["name"]: _typed(v["kind"], v["value"]) for v in req["env"]})
    kwargs = dict(req["pargs"])
    kwargs["OUTPUT_PATH"] = req["output_path"]
    kwargs["SPECROOT"] = _Value(req["specroot"])

    spec = importlib.util.spec_from_file_location("maestro_pgen", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["maestro_pgen"] = module
    spec.loader.exec_module(module)
    if not hasattr(module, "get_custom_generator"):
        sys.stderr.write("%s defines no get_custom_generator(env, **kwargs)\n" % path)
        sys.exit(3)
    gen = module.get_custom_generator(env, **kwargs)
    params = getattr(gen, "parameters", None)
    if params is None:
        sys.stderr.write("get_custom_generator in %s returned %r, not a ParameterGenerator\n" % (path, gen))
        sys.exit(3)
    out = []
    for key, values in params.items():
        label = gen.labels.get(key)
        if label is not None and not isinstance(label, str):
            label = [str(x) for x in label]
        out.append({"name": str(key), "title": str(gen.names.get(key, key)),
                    "values": [str(v) for v in values], "label": label})
    with open(result_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
