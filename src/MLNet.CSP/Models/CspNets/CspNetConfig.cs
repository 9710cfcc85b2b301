namespace MLNet.CSP.Models.CspNets;

/// <summary>A CSP-family variant (timm <c>CspModelCfg</c>): stem, stages, activation and pretrained config.</summary>
public sealed record CspNetConfig(
    CspStemConfig Stem,
    IReadOnlyList<CspStageConfig> Stages,
    ActivationKind Activation,
    PretrainedConfig Pretrained,
    string Reference = "timm 1.0.28 cspnet.py") : IBackboneConfig
{
    /// <summary>
    /// Returns this variant with every channel count scaled by <paramref name="width"/> (rounded to multiples of 8)
    /// and every stage depth by <paramref name="depth"/>, as timm's width/depth multipliers do.
    /// </summary>
    public CspNetConfig Scale(double width, double depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        return this with
        {
            Stem = Stem with { OutChannels = Stem.OutChannels.Select(c => ChannelMath.MakeDivisible(c * width)).ToArray() },
            Stages = Stages.Select(s => s with
            {
                OutChannels = ChannelMath.MakeDivisible(s.OutChannels * width),
                Depth = ChannelMath.ScaleDepth(s.Depth, depth),
            }).ToArray(),
        };
    }

    /// <inheritdoc />
    public Backbone Build(string name, int numClasses) => new CspNet(name, this, numClasses);
}
