namespace MLNet.CSP.Models.CspNets;

/// <summary>
/// The entry shared by both cross stages (timm <c>CrossStage</c>, <c>CrossStage3</c>): an optional strided 3x3
/// <c>conv_down</c> and the 1x1 <c>conv_exp</c> whose output is split in two halves.
/// </summary>
internal sealed record CrossStageEntry(ConvNormAct? Down, ConvNormAct Expand, int HalfChannels, int BlockChannels)
{
    public static CrossStageEntry Create(int inChannels, CspStageConfig cfg, ActivationKind activation)
    {
        int downChannels = cfg.DownGrowth ? cfg.OutChannels : inChannels;
        int expChannels = (int)Math.Round(cfg.OutChannels * cfg.ExpandRatio, MidpointRounding.ToEven);
        int blockChannels = (int)Math.Round(cfg.OutChannels * cfg.BlockRatio, MidpointRounding.ToEven);
        var down = cfg.Stride != 1 ? new ConvNormAct(inChannels, downChannels, 3, cfg.Stride, cfg.Groups, activation) : null;
        var expand = new ConvNormAct(down?.OutChannels ?? inChannels, expChannels, 1,
            activation: cfg.CrossLinear ? ActivationKind.None : activation);
        return new CrossStageEntry(down, expand, expChannels / 2, blockChannels);
    }
}
