namespace MLNet.CSP.Models.ResNets;

/// <summary>A torchvision ResNet/ResNeXt variant (bottleneck blocks).</summary>
/// <param name="Layers">Blocks per stage (<c>layer1..layer4</c>).</param>
/// <param name="Groups">Groups of the 3x3 convolutions (ResNeXt cardinality).</param>
/// <param name="WidthPerGroup">Channels per group at the first stage (64 for ResNet).</param>
/// <param name="Pretrained">Preprocessing of the published checkpoint.</param>
/// <param name="Reference">Reference implementation.</param>
public sealed record ResNetConfig(
    IReadOnlyList<int> Layers,
    int Groups,
    int WidthPerGroup,
    PretrainedConfig Pretrained,
    string Reference = "torchvision 0.14 resnet.py") : IBackboneConfig
{
    /// <inheritdoc />
    public Backbone Build(string name, int numClasses) => new ResNet(name, this, numClasses);
}
