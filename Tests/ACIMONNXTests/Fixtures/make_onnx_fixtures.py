"""Makes the ONNX test models and PyTorch's logits for them.

Run from this folder with a Python that has torch, onnx and numpy:  python make_onnx_fixtures.py
For each model it writes <name>.onnx (exported by torch.onnx.export), <name>-inputs.npy (a few random
inputs, float32 [N, C, H, W]) and <name>-logits.npy (PyTorch's outputs for them, float32 [N, classes]).
Weights are random (seeded); batch-norm running statistics are randomized so they matter.
"""
import numpy as np
import onnx
import torch
from torch import nn

torch.manual_seed(0)


class DigitsCNN(nn.Module):
    """A small CNN for 8x8 digit images, as trained on the digits data."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(16 * 2 * 2, 32), nn.ReLU(),
                                        nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class MixedCNN(nn.Module):
    """Rectangular, strided, dilated, grouped and depthwise convolutions, a residual add, batch norm without
    affine parameters, concat, the activations (GELU exported as the Gelu operator) and global average
    pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, (3, 5), stride=(1, 2), padding=(1, 2))
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.LeakyReLU(0.1)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8, bias=False)
        self.norm = nn.BatchNorm2d(8, affine=False)
        self.grouped = nn.Conv2d(8, 8, 1, groups=2)
        self.branch = nn.Conv2d(8, 4, 3, padding=1)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(12, 6)

    def forward(self, x):
        x = self.act(self.bn(self.stem(x)))
        y = torch.tanh(self.depthwise(x))
        x = nn.functional.silu(self.grouped(self.norm(x + y)))
        x = torch.cat([x, torch.sigmoid(self.branch(x))], dim=1)
        x = self.pool(nn.functional.gelu(x))
        x = nn.functional.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1)
        return self.fc(x)


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 for CIFAR-10 shapes (3x32x32, 10 classes), projection shortcuts."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, inputs = [], 16
        for outputs, stride in [(16, 1), (32, 2), (64, 2)]:
            for block in range(3):
                layers.append(BasicBlock(inputs, outputs, stride if block == 0 else 1))
                inputs = outputs
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(torch.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def randomize_statistics(model):
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
            if module.affine:
                module.weight.data.uniform_(0.5, 1.5)
                module.bias.data.uniform_(-0.2, 0.2)


def strip_metadata(path):
    """Drops the exporter's notes on each node (stack traces that name the exporting machine's files)."""
    model = onnx.load(path)
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    onnx.save(model, path)


def export(name, model, input_shape, samples=4, dynamo=True):
    """Exports with the default (dynamo) exporter and a dynamic batch axis, or with the TorchScript
    exporter (`dynamo=False`) and a fixed batch of one."""
    randomize_statistics(model)
    model.eval()
    inputs = torch.randn(samples, *input_shape)
    with torch.no_grad():
        logits = model(inputs)
    if dynamo:
        torch.onnx.export(model, (inputs[:1],), f"{name}.onnx", input_names=["input"], output_names=["logits"],
                          dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, dynamo=True, external_data=False)
    else:
        torch.onnx.export(model, (inputs[:1],), f"{name}.onnx", input_names=["input"], output_names=["logits"],
                          dynamo=False, opset_version=17)
    strip_metadata(f"{name}.onnx")
    np.save(f"{name}-inputs.npy", inputs.numpy().astype(np.float32))
    np.save(f"{name}-logits.npy", logits.numpy().astype(np.float32))


with torch.no_grad():
    export("digits-cnn", DigitsCNN(), (1, 8, 8))
    export("mixed-cnn", MixedCNN(), (3, 12, 16))
    export("resnet20", ResNet20(), (3, 32, 32), dynamo=False)
