"""The ParameterGenerator that pgen files build (maestro's own version)."""

from collections import OrderedDict


class ParameterGenerator:
    """Parameters a pgen defines: each a list of values with a label."""

    def __init__(self, token="$", ltoken="%%"):
        self.token = token
        self.label_token = ltoken
        self.parameters = OrderedDict()
        self.labels = OrderedDict()
        self.names = OrderedDict()

    def add_parameter(self, key, values, label=None, name=None):
        """Add parameter `key` with a list of values.

        A missing label is KEY.%%; every parameter must have as many values
        as the ones before it.
        """
        values = list(values)
        for other, existing in self.parameters.items():
            if other != key and len(existing) != len(values):
                raise ValueError(
                    "Length of values list must be the same size as the other "
                    "parameters: '%s' has %d values, '%s' has %d."
                    % (key, len(values), other, len(existing)))
            break
        if label is None:
            label = "%s.%s" % (key, self.label_token)
        self.parameters[key] = values
        self.labels[key] = label
        self.names[key] = key if name is None else name

    def __len__(self):
        for values in self.parameters.values():
            return len(values)
        return 0
