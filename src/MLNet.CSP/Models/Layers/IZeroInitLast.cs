namespace MLNet.CSP.Models.Layers;

/// <summary>A residual block that can start as the identity (timm's <c>zero_init_last</c>: its last BatchNorm weight at zero).</summary>
internal interface IZeroInitLast
{
    /// <summary>Sets the weight of the block's last BatchNorm to zero.</summary>
    void ZeroInitLast();
}
