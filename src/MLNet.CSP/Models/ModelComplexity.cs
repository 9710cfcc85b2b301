namespace MLNet.CSP.Models;

/// <summary>Size and cost of a network for one image.</summary>
/// <param name="Architecture">Registered name.</param>
/// <param name="Parameters">Trainable parameters (buffers excluded).</param>
/// <param name="ConvMacs">Multiply-accumulates of all convolutions for one image.</param>
/// <param name="LinearMacs">Multiply-accumulates of all linear layers for one image.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
public sealed record ModelComplexity(string Architecture, long Parameters, long ConvMacs, long LinearMacs, int Height, int Width)
{
    /// <summary>Total multiply-accumulates for one image.</summary>
    public long Macs => ConvMacs + LinearMacs;

    /// <summary>
    /// Counts parameters and MACs by running one image of the given size through the network and recording
    /// the output shape of every convolution and linear layer (MACs = output elements x input channels per
    /// group x kernel area; linear: in x out). A model on the inference fast path is measured on its plain path and
    /// returned to the fast path.
    /// </summary>
    public static ModelComplexity Measure(Backbone model, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        long conv = 0, linear = 0;
        var removers = new List<Action>();
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Conv2dLayer c:
                    var cr = c.register_forward_hook((m, input, output) =>
                    {
                        var w = c.Weight.shape; // [out, in/groups, kh, kw]
                        conv += output.numel() * w[1] * w[2] * w[3];
                        return output;
                    });
                    removers.Add(cr.remove);
                    break;
                case Linear l:
                    var lr = l.register_forward_hook((m, input, output) =>
                    {
                        linear += output.numel() * l.weight!.shape[1];
                        return output;
                    });
                    removers.Add(lr.remove);
                    break;
            }
        }
        bool wasTraining = model.training;
        bool wasOptimized = model.IsOptimizedForInference;
        if (wasOptimized) model.ClearInferenceOptimization(); // the fast path bypasses the hooked modules
        try
        {
            model.eval();
            using var _ = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var device = model.parameters().FirstOrDefault()?.device ?? torch.CPU;
            model.forward(torch.zeros(1, 3, height, width, device: device));
        }
        finally
        {
            foreach (var remove in removers) remove();
            if (wasOptimized) model.OptimizeForInference();
            model.train(wasTraining);
        }
        long parameters = model.parameters().Sum(p => p.numel());
        return new ModelComplexity(model.Architecture, parameters, conv, linear, height, width);
    }
}
