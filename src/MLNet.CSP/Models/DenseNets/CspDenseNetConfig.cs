namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// A CSPDenseNet variant (CSPNet paper, section 3.1): a DenseNet whose dense stages each split their input by channels,
/// send the share <paramref name="Gamma"/> through the dense block and let the rest skip it, then fuse the two parts
/// as <paramref name="Fusion"/> says. Every stage keeps the plain DenseNet's output width, so the CSP variant and its
/// baseline differ only inside the stages.
/// </summary>
/// <param name="Dense">The plain DenseNet it is built from (growth rate, block depths, stem width).</param>
/// <param name="Fusion">How the skip part and the dense part are fused.</param>
/// <param name="Gamma">Share of each stage's input channels that goes through the dense block (0 &lt; gamma &lt; 1).</param>
/// <param name="Reference">Where the architecture comes from.</param>
public sealed record CspDenseNetConfig(
    DenseNetConfig Dense,
    CspFusion Fusion = CspFusion.Csp,
    double Gamma = 0.5,
    string Reference = "MLNet.CSP, after the CSPNet paper (Wang et al. 2020), figures 2b and 3") : IBackboneConfig
{
    /// <inheritdoc />
    public PretrainedConfig Pretrained => Dense.Pretrained;

    /// <summary>Returns this variant with the underlying DenseNet scaled (see <see cref="DenseNetConfig.Scale"/>).</summary>
    public CspDenseNetConfig Scale(double width, double depth) => this with { Dense = Dense.Scale(width, depth) };

    /// <inheritdoc />
    /// <remarks>Each <see cref="PartialDenseStage"/> validates gamma and the fusion for its own channel counts.</remarks>
    public Backbone Build(string name, int numClasses) => new DenseNet(name, Dense, numClasses, this);
}
