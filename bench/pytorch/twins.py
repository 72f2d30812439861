# PyTorch twins of the models `npm run bench` races: the same layers, optimizer, loss and batch
# as the .nn examples, written the way a PyTorch user would (channels-first convolutions,
# nn.MultiheadAttention), so that the race is against PyTorch as people use it. Initial weights
# can be loaded from Neuron's checkpoint layout (for the bench test's same-loss check); the
# speed runs keep PyTorch's own init, which does not change the work a step does.
import torch
from torch import nn

from mnist_cnn import mnist_cnn
from spiking_mnist import SpikingMnist


def _copy(param, value):
    with torch.no_grad():
        param.copy_(torch.as_tensor(value, dtype=param.dtype).reshape(param.shape))


class Twin:
    """One .nn example: its module, inputs, loss and optimizer, and where Neuron's weights go."""

    inputs = ("image",)
    target = "digit"

    def build(self):
        raise NotImplementedError

    def forward(self, model, columns):
        return model(*[columns[name] for name in self.inputs])

    def loss(self, outputs, target):
        return nn.functional.cross_entropy(outputs, target)

    def optimizer(self, model):
        return torch.optim.Adam(model.parameters(), lr=0.001)

    def weight_targets(self, model):
        """Neuron's checkpoint name -> (twin parameter, conversion of the value)."""
        raise NotImplementedError

    def load(self, model, weights):
        targets = self.weight_targets(model)
        for name, value in weights.items():
            if name in targets:
                param, convert = targets[name]
                _copy(param, convert(value))
            elif not name.endswith((".beta", ".threshold")):  # lif constants the twin hard-codes
                raise KeyError(f"the twin has no place for Neuron's weight {name}")


def _same(value):
    return value


class MnistMlp(Twin):
    def build(self):
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))

    def weight_targets(self, model):
        return {
            "hidden.dense_0.weight": (model[0].weight, _same),
            "hidden.dense_0.bias": (model[0].bias, _same),
            "logits.dense_0.weight": (model[3].weight, _same),
            "logits.dense_0.bias": (model[3].bias, _same),
        }


class MnistCnn(Twin):
    def build(self):
        return mnist_cnn()

    def forward(self, model, columns):
        # Neuron's [28, 28, 1] per sample (channels last) is the same memory as [1, 28, 28].
        return model(columns["image"].reshape(-1, 1, 28, 28))

    def weight_targets(self, model):
        def channels_first_columns(value):
            # Neuron flattens (h, w, c), PyTorch (c, h, w): the first dense layer's columns move.
            return value.reshape(64, 7, 7, 32).transpose(0, 3, 1, 2).reshape(64, 32 * 7 * 7)

        targets = {}
        for i, (conv, norm) in enumerate([(0, 1), (4, 5)]):
            for field in ("weight", "bias"):
                targets[f"features.conv2d_{i}.{field}"] = (getattr(model[conv], field), _same)
            for field in ("weight", "bias", "running_mean", "running_var"):
                targets[f"features.batch_norm_{i}.{field}"] = (getattr(model[norm], field), _same)
        targets["logits.dense_0.weight"] = (model[9].weight, channels_first_columns)
        targets["logits.dense_0.bias"] = (model[9].bias, _same)
        targets["logits.dense_1.weight"] = (model[12].weight, _same)
        targets["logits.dense_1.bias"] = (model[12].bias, _same)
        return targets


class ReverseModule(nn.Module):
    def __init__(self, vocab=10, steps=8, dim=32, heads=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.positional = nn.Parameter(torch.randn(steps, dim) * 0.02)
        self.norm1 = nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.hidden = nn.Linear(dim, 4 * dim)
        self.back = nn.Linear(4 * dim, dim)
        self.norm3 = nn.LayerNorm(dim)
        self.logits = nn.Linear(dim, vocab)

    def forward(self, tokens):
        x = self.embedding(tokens) + self.positional
        h = self.norm1(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        x = x + self.back(nn.functional.gelu(self.hidden(self.norm2(x))))
        return self.logits(self.norm3(x))


class Reverse(Twin):
    inputs = ("tokens",)
    target = "reversed"

    def build(self):
        return ReverseModule()

    def forward(self, model, columns):
        return model(columns["tokens"].reshape(-1, 8))

    def loss(self, outputs, target):
        return nn.functional.cross_entropy(outputs.reshape(-1, outputs.shape[-1]), target.reshape(-1))

    def optimizer(self, model):
        return torch.optim.AdamW(model.parameters(), lr=0.003, weight_decay=0.01)

    def load(self, model, weights):
        # nn.MultiheadAttention keeps q, k and v as one [3D, D] projection.
        attention = "x_1.self_attention_0"
        weights = dict(weights)
        _copy(model.attention.in_proj_weight, torch.cat([torch.as_tensor(weights.pop(f"{attention}.{p}.weight")) for p in "qkv"]))
        _copy(model.attention.in_proj_bias, torch.cat([torch.as_tensor(weights.pop(f"{attention}.{p}.bias")) for p in "qkv"]))
        super().load(model, weights)

    def weight_targets(self, model):
        layers = {
            "x.embedding_0": model.embedding,
            "x_1.layer_norm_0": model.norm1,
            "x_1.self_attention_0.out": model.attention.out_proj,
            "x_2.layer_norm_0": model.norm2,
            "x_2.FeedForward_0.y.dense_0": model.hidden,
            "x_2.FeedForward_0.y.dense_1": model.back,
            "logits.layer_norm_0": model.norm3,
            "logits.dense_0": model.logits,
        }
        targets = {"x.positional_0.weight": (model.positional, _same)}
        for prefix, layer in layers.items():
            for field in ("weight", "bias"):
                if getattr(layer, field, None) is not None:
                    targets[f"{prefix}.{field}"] = (getattr(layer, field), _same)
        return targets


class Spiking(Twin):
    """784-1000-10 leaky integrate-and-fire, 25 steps, float32 like Neuron's module."""

    def build(self):
        return SpikingMnist()

    def loss(self, membranes, target):
        # snnTorch's convention: cross-entropy of the output membrane at every step, summed.
        return nn.functional.cross_entropy(membranes.reshape(-1, 10), target.repeat(membranes.shape[0])) * membranes.shape[0]

    def optimizer(self, model):
        return torch.optim.Adam(model.parameters(), lr=5e-4)

    def weight_targets(self, model):
        return {
            "spikes.dense_0.weight": (model.fc1.weight, _same),
            "spikes.dense_0.bias": (model.fc1.bias, _same),
            "mem.dense_0.weight": (model.fc2.weight, _same),
            "mem.dense_0.bias": (model.fc2.bias, _same),
        }


twins = {"mnist_mlp": MnistMlp(), "mnist_cnn": MnistCnn(), "reverse": Reverse(), "spiking_mnist": Spiking()}
