namespace MLNet.CSP.Models.CspNets;

/// <summary>Builds the residual blocks of a stage.</summary>
internal static class BlockFactory
{
    /// <summary>Creates <paramref name="depth"/> blocks; the first takes <paramref name="inChannels"/>.</summary>
    public static TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> Create(
        BlockType type, int depth, int inChannels, int outChannels, double bottleRatio, int groups, ActivationKind activation)
    {
        var blocks = new TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>();
        int channels = inChannels;
        for (int i = 0; i < depth; i++)
        {
            blocks.Add(type switch
            {
                BlockType.Bottleneck => new BottleneckBlock(channels, outChannels, bottleRatio, groups, activation),
                BlockType.Dark => new DarkBlock(channels, outChannels, bottleRatio, groups, activation),
                _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown block type."),
            });
            channels = outChannels;
        }
        return blocks;
    }

    /// <summary>Writes the blocks (<c>blocks.N</c>) into an ONNX graph.</summary>
    public static string ExportOnnx(TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> blocks, OnnxGraph graph, string input)
    {
        string current = input;
        for (int i = 0; i < blocks.Count; i++) current = graph.Module($"blocks.{i}", blocks[i], current);
        return current;
    }

    /// <summary>Runs the blocks in order, disposing intermediates.</summary>
    public static Tensor Run(TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> blocks, Tensor x)
    {
        Tensor current = x;
        foreach (var block in blocks)
        {
            var next = block.call(current);
            if (!ReferenceEquals(current, x)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, x) ? x.alias() : current;
    }
}
