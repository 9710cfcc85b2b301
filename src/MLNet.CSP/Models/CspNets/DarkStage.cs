namespace MLNet.CSP.Models.CspNets;

/// <summary>Plain DarkNet stage (timm <c>DarkStage</c>): strided 3x3 <c>conv_down</c>, then the blocks.</summary>
public sealed class DarkStage : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly ConvNormAct conv_down;
    private readonly ModuleList blocks;

    /// <summary>Builds the stage from its configuration.</summary>
    public DarkStage(int inChannels, CspStageConfig cfg, ActivationKind activation) : base(nameof(DarkStage))
    {
        int blockOut = (int)Math.Round(cfg.OutChannels * cfg.BlockRatio, MidpointRounding.ToEven);
        conv_down = new ConvNormAct(inChannels, cfg.OutChannels, 3, cfg.Stride, cfg.Groups, activation);
        blocks = BlockFactory.Create(cfg.Block, cfg.Depth, cfg.OutChannels, blockOut, cfg.BottleRatio, cfg.Groups, activation);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var down = conv_down.call(x);
        return BlockFactory.Run(blocks, down);
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input) =>
        BlockFactory.ExportOnnx(blocks, graph, graph.Module("conv_down", conv_down, input));
}
