namespace MLNet.CSP.Models.DenseNets;

/// <summary>A torchvision DenseNet variant.</summary>
/// <param name="GrowthRate">Channels each dense layer adds.</param>
/// <param name="BlockConfig">Dense layers per block.</param>
/// <param name="InitFeatures">Stem output channels.</param>
/// <param name="BnSize">Bottleneck width multiplier of the 1x1 conv.</param>
/// <param name="Pretrained">Preprocessing of the published checkpoint.</param>
/// <param name="Reference">Reference implementation.</param>
public sealed record DenseNetConfig(
    int GrowthRate,
    IReadOnlyList<int> BlockConfig,
    int InitFeatures,
    int BnSize,
    PretrainedConfig Pretrained,
    string Reference = "torchvision 0.14 densenet.py") : IBackboneConfig
{
    /// <summary>
    /// Returns this variant with the growth rate scaled by <paramref name="width"/> (rounded to a multiple of 4), the stem
    /// width by <paramref name="width"/> (multiple of 8) and every block's layer count by <paramref name="depth"/>.
    /// </summary>
    public DenseNetConfig Scale(double width, double depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        return this with
        {
            GrowthRate = ChannelMath.MakeDivisible(GrowthRate * width, 4),
            InitFeatures = ChannelMath.MakeDivisible(InitFeatures * width),
            BlockConfig = BlockConfig.Select(d => ChannelMath.ScaleDepth(d, depth)).ToArray(),
        };
    }

    /// <inheritdoc />
    public Backbone Build(string name, int numClasses) => new DenseNet(name, this, numClasses);
}
