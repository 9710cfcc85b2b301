namespace MLNet.CSP.Models.DenseNets;

/// <summary>
/// torchvision dense block: layers <c>denselayer1..N</c>, each fed the concatenation of the block input and every
/// earlier layer's output; returns that full concatenation.
/// </summary>
public sealed class DenseBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly List<DenseLayer> layers = [];

    /// <summary>Creates the block.</summary>
    public DenseBlock(int numLayers, int inChannels, int growthRate, int bnSize) : base(nameof(DenseBlock))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numLayers, 1);
        for (int i = 0; i < numLayers; i++)
        {
            var layer = new DenseLayer(inChannels + i * growthRate, growthRate, bnSize);
            register_module($"denselayer{i + 1}", layer);
            layers.Add(layer);
        }
        OutChannels = inChannels + numLayers * growthRate;
    }

    /// <summary>Output channels: input plus every layer's growth.</summary>
    public int OutChannels { get; }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        var features = new List<string> { input };
        string concatenated = input;
        for (int i = 0; i < layers.Count; i++)
        {
            features.Add(graph.Module($"denselayer{i + 1}", layers[i], concatenated));
            concatenated = graph.ConcatChannels([.. features]);
        }
        return concatenated;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var features = new List<Tensor>(layers.Count + 1) { x };
        try
        {
            Tensor concatenated = x.alias();
            foreach (var layer in layers)
            {
                features.Add(layer.call(concatenated));
                concatenated.Dispose();
                concatenated = torch.cat(features, 1);
            }
            return concatenated;
        }
        finally
        {
            for (int i = 1; i < features.Count; i++) features[i].Dispose();
        }
    }
}
