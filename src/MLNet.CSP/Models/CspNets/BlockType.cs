namespace MLNet.CSP.Models.CspNets;

/// <summary>Residual block used inside a stage.</summary>
public enum BlockType
{
    /// <summary><see cref="BottleneckBlock"/> (CSPResNet, CSPResNeXt).</summary>
    Bottleneck,
    /// <summary><see cref="DarkBlock"/> (DarkNet, CSPDarkNet, CS3DarkNet).</summary>
    Dark,
}
