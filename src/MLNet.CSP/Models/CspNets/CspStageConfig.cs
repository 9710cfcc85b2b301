
namespace MLNet.CSP.Models.CspNets;

/// <summary>One stage of a CSP-family network (the fields of timm's <c>CspStagesCfg</c>, per stage).</summary>
/// <param name="Depth">Number of residual blocks.</param>
/// <param name="OutChannels">Stage output channels.</param>
/// <param name="Stride">Downsampling stride (1: no <c>conv_down</c> in CSP stages).</param>
/// <param name="Groups">Groups of the 3x3 convolutions.</param>
/// <param name="ExpandRatio">Expanded channels (<c>conv_exp</c>) as a fraction of the output channels; split in two.</param>
/// <param name="BottleRatio">Block mid channels as a fraction of the block output.</param>
/// <param name="BlockRatio">Block output channels as a fraction of the stage output.</param>
/// <param name="CrossLinear">No activation on <c>conv_exp</c>.</param>
/// <param name="DownGrowth">The downsampling conv grows to the output channels (else keeps the input channels).</param>
/// <param name="Type">How the stage is wired.</param>
/// <param name="Block">Residual block type.</param>
public sealed record CspStageConfig(
    int Depth,
    int OutChannels,
    int Stride = 2,
    int Groups = 1,
    double ExpandRatio = 1.0,
    double BottleRatio = 1.0,
    double BlockRatio = 1.0,
    bool CrossLinear = false,
    bool DownGrowth = false,
    StageType Type = StageType.Csp,
    BlockType Block = BlockType.Bottleneck);
