"""Classic torchvision networks, downloaded by the user from PyTorch's official URLs.

torchvision is imported only when one of them is built: importing it costs about 1.6 s (it pulls
in ``torch._dynamo``), which the default model, not from torchvision, should not pay.
"""
from __future__ import annotations

from collections.abc import Callable

from torch import nn

from .hints import depth_hint
from .labels import imagenet_labels
from .spec import IMAGENET, LayerDef, ModelSpec, Weights

OFFICIAL_BASE = "https://download.pytorch.org/models/"


def _layers(pairs: list[tuple[str, str]]) -> tuple[LayerDef, ...]:
    return tuple(LayerDef(name, module, depth_hint(i, len(pairs))) for i, (name, module) in enumerate(pairs))


def _googlenet() -> nn.Module:
    import torchvision

    return torchvision.models.googlenet(weights=None, aux_logits=True, transform_input=True, init_weights=False)


def _inception_v3() -> nn.Module:
    import torchvision

    return torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=True, init_weights=False)


def _vgg16() -> nn.Module:
    import torchvision

    return torchvision.models.vgg16()


def _resnet50() -> nn.Module:
    import torchvision

    return torchvision.models.resnet50()


def _drop_aux(net: nn.Module) -> None:
    """The aux classifiers are only for training; dropping them keeps forward() to the main path."""
    import torchvision

    if not isinstance(net, (torchvision.models.GoogLeNet, torchvision.models.Inception3)):
        raise TypeError(f"only GoogLeNet and Inception v3 have aux classifiers, not {type(net).__name__}")
    net.aux_logits = False
    for attr in ("aux1", "aux2", "AuxLogits"):
        if hasattr(net, attr):
            setattr(net, attr, None)


_GOOGLENET = [(n, n) for n in ("conv1", "conv2", "conv3", "inception3a", "inception3b", "inception4a",
                               "inception4b", "inception4c", "inception4d", "inception4e", "inception5a",
                               "inception5b")]
_VGG16 = [("conv1_1", "features.1"), ("conv1_2", "features.3"), ("conv2_1", "features.6"),
          ("conv2_2", "features.8"), ("conv3_1", "features.11"), ("conv3_2", "features.13"),
          ("conv3_3", "features.15"), ("conv4_1", "features.18"), ("conv4_2", "features.20"),
          ("conv4_3", "features.22"), ("conv5_1", "features.25"), ("conv5_2", "features.27"),
          ("conv5_3", "features.29")]
_RESNET50 = [("stem", "maxpool")] + [(f"layer{s}.{b}", f"layer{s}.{b}")
                                     for s, blocks in ((1, 3), (2, 4), (3, 6), (4, 3)) for b in range(blocks)]
_INCEPTION_V3 = [(n, n) for n in ("Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5b", "Mixed_5c", "Mixed_5d",
                                  "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a",
                                  "Mixed_7b", "Mixed_7c")]


def torchvision_specs() -> list[ModelSpec]:
    def spec(name: str, description: str, build: Callable[[], nn.Module], filename: str, sha256: str, size: int,
             layers: list[tuple[str, str]], default: str, input_size: int = 224,
             finalize: Callable[[nn.Module], None] = lambda net: None) -> ModelSpec:
        return ModelSpec(name=name, description=description, build=build,
                         weights=Weights(sha256=sha256, filename=filename, size=size,
                                         url=OFFICIAL_BASE + filename),
                         preprocess=IMAGENET, layers=_layers(layers), default_layer=default,
                         labels=imagenet_labels, input_size=input_size, finalize=finalize)

    return [
        spec("googlenet", "GoogLeNet / Inception v1, the 2015 DeepDream network (torchvision)", _googlenet,
             "googlenet-1378be20.pth", "1378be20a8e875cf1568b8a71654e704449655e34711a959a38b04fb34905cef",
             0, _GOOGLENET, "inception4c", finalize=_drop_aux),
        spec("vgg16", "VGG-16 (torchvision): painterly, dense textures", _vgg16,
             "vgg16-397923af.pth", "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
             553433881, _VGG16, "conv4_3"),
        spec("resnet50", "ResNet-50 (torchvision, ImageNet1K_V1)", _resnet50,
             "resnet50-0676ba61.pth", "0676ba61b6795bbe1773cffd859882e5e297624d384b6993f7c9e683e722fb8a",
             102530333, _RESNET50, "layer3.3"),
        spec("inception_v3", "Inception v3 (torchvision)", _inception_v3,
             "inception_v3_google-0cc3c7bd.pth",
             "0cc3c7bd75056d25e46cba549dc184522069b81e9787eff6df84f397bd52a5ef", 108949747,
             _INCEPTION_V3, "Mixed_6b", input_size=299, finalize=_drop_aux),
    ]
