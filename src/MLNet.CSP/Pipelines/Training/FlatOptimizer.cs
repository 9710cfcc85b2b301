using TorchSharp.Modules;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// AdamW or SGD with momentum over every trainable parameter at once: the parameters and their gradients are views into two
/// flat buffers (parameters re-pointed once, gradients accumulated in place by autograd), so a step is a handful of whole-buffer
/// operations instead of a dozen per parameter tensor, and zeroing the gradients is one. The arithmetic is PyTorch's
/// (AdamW: decoupled weight decay, betas 0.9/0.999, eps 1e-8, bias correction; SGD: weight decay added to the gradient, momentum
/// 0.9, no dampening). One difference: a trained parameter that gets no gradient in a step (unused by the loss) has a zero
/// gradient here, not none, so weight decay and the moments still move it; PyTorch leaves it alone. Biases may form a second
/// group, stored after the other parameters, with a learning rate of their own (<see cref="BiasLearningRate"/>, for the bias
/// warm-up): the moments are still updated over the whole buffer, only the decay and the update run per group. One-dimensional
/// parameters (normalisation weights and biases) may be exempt from weight decay, as timm's and Ultralytics' optimizers make
/// them: the others are then stored first and the decay runs over their leading range only.
/// </summary>
internal sealed class FlatOptimizer : IDisposable
{
    /// <summary>Names the saved state's layout in a run's identity: checkpoint directories of other layouts start over.</summary>
    public const string StateFormat = "flat-optimizer-1";

    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, Momentum = 0.9;
    private readonly CspOptimizer kind;
    private readonly double weightDecay;
    private readonly Tensor parameters;
    private readonly Tensor gradients;
    private readonly Tensor first;   // AdamW: exp_avg; SGD: the momentum buffer
    private readonly Tensor? second; // AdamW: exp_avg_sq
    private readonly Tensor scratch;
    private readonly IReadOnlyList<Parameter> trained;
    private readonly (Tensor Parameters, Tensor First, Tensor Scratch)[]? groups; // [the other parameters, the biases] when biases are a group
    private readonly bool biasesOnly; // every trained parameter is a bias: the whole buffer steps with the biases' rate
    private readonly (Tensor Parameters, Tensor Scratch)? decayed; // the leading range that gets weight decay, when 1-D parameters are exempt
    private readonly bool exempt;
    private long steps;

    /// <summary>One group: every parameter steps with <see cref="LearningRate"/>.</summary>
    public FlatOptimizer(IReadOnlyList<Parameter> trainable, CspOptimizer kind, double learningRate, double weightDecay)
        : this(trainable, [], kind, learningRate, weightDecay)
    {
    }

    /// <summary>
    /// Two groups: <paramref name="biases"/> (stored last) step with <see cref="BiasLearningRate"/>, the rest with <see cref="LearningRate"/>.
    /// With <paramref name="exemptOneDimensional"/>, parameters of one dimension (or none) get no weight decay: among
    /// <paramref name="others"/> they are stored after the rest, and the biases (one-dimensional) are never decayed.
    /// </summary>
    public FlatOptimizer(IReadOnlyList<Parameter> others, IReadOnlyList<Parameter> biases, CspOptimizer kind, double learningRate, double weightDecay,
        bool exemptOneDimensional = false)
    {
        ArgumentNullException.ThrowIfNull(others);
        ArgumentNullException.ThrowIfNull(biases);
        if (exemptOneDimensional)
        {
            if (biases.FirstOrDefault(p => p.dim() > 1) is { } wide)
                throw new ArgumentException($"A bias of {wide.dim()} dimensions cannot be exempt from weight decay as a one-dimensional parameter.", nameof(biases));
            others = [.. others.Where(p => p.dim() > 1), .. others.Where(p => p.dim() <= 1)];
        }
        var trainable = others.Concat(biases).ToList();
        if (trainable.Count == 0) throw new ArgumentException("Nothing to train: no parameter requires a gradient.", nameof(others));
        if (kind is not (CspOptimizer.AdamW or CspOptimizer.SgdMomentum)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimizer.");
        (this.kind, this.weightDecay, LearningRate, trained) = (kind, weightDecay, learningRate, trainable);
        using var noGrad = torch.no_grad();
        var first0 = trainable[0];
        var dtype = first0.dtype;
        var device = first0.device;
        foreach (var p in trainable)
            if (p.dtype != dtype || p.device_type != device.type || p.device_index != device.index)
                throw new ArgumentException($"Every trained parameter must share one dtype and device; found {p.dtype} on {p.device} and {dtype} on {device}.", nameof(others));
        long total = trainable.Sum(p => p.numel());
        parameters = torch.empty(total, dtype: dtype, device: device);
        gradients = torch.zeros(total, dtype: dtype, device: device);
        long offset = 0;
        foreach (var p in trainable)
        {
            long n = p.numel();
            using var slice = parameters.narrow(0, offset, n);
            using var values = p.detach().reshape(-1);
            slice.copy_(values);
            offset += n;
        }
        // The parameters become views of the flat buffer (their values copied above); each gradient a view of the other.
        torch.nn.utils.vector_to_parameters(parameters, trainable);
        offset = 0;
        foreach (var p in trainable)
        {
            long n = p.numel();
            using var slice = gradients.narrow(0, offset, n);
            using var view = slice.view(p.shape);
            p.grad = view;
            offset += n;
        }
        first = torch.zeros_like(parameters);
        second = kind == CspOptimizer.AdamW ? torch.zeros_like(parameters) : null;
        scratch = torch.empty_like(parameters);
        long split = others.Sum(p => p.numel());
        exempt = exemptOneDimensional;
        if (exempt)
        {
            long length = others.Where(p => p.dim() > 1).Sum(p => p.numel());
            if (length > 0) decayed = (parameters.narrow(0, 0, length), scratch.narrow(0, 0, length));
        }
        biasesOnly = biases.Count > 0 && split == 0;
        if (biases.Count > 0 && split > 0)
            groups = [(parameters.narrow(0, 0, split), first.narrow(0, 0, split), scratch.narrow(0, 0, split)),
                      (parameters.narrow(0, split, total - split), first.narrow(0, split, total - split), scratch.narrow(0, split, total - split))];
    }

    /// <summary>The learning rate of the next step.</summary>
    public double LearningRate { get; set; }

    /// <summary>The biases' learning rate of the next step when they are a group of their own (null: <see cref="LearningRate"/>).</summary>
    public double? BiasLearningRate { get; set; }

    /// <summary>Steps taken.</summary>
    public long Steps => steps;

    /// <summary>Zeroes every gradient (one operation; the gradients stay views of the flat buffer).</summary>
    public void ZeroGrad() => gradients.zero_();

    /// <summary>One update of every parameter from its gradient.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        steps++;
        double lr = biasesOnly ? BiasLearningRate ?? LearningRate : LearningRate;
        bool split = groups is not null && BiasLearningRate is double b && b != lr;
        if (kind == CspOptimizer.AdamW)
        {
            if (weightDecay != 0)
            {
                // Exempt 1-D parameters: the decayed range lies before them and the biases, in the group of the main rate.
                if (!exempt) ForEachGroup(split, (g, rate) => g.Parameters.mul_(1 - rate * weightDecay));
                else decayed?.Parameters.mul_(1 - LearningRate * weightDecay);
            }
            first.mul_(Beta1).add_(gradients, alpha: 1 - Beta1);
            second!.mul_(Beta2).addcmul_(gradients, gradients, value: 1 - Beta2);
            double correction1 = 1 - Math.Pow(Beta1, steps);
            double correction2 = 1 - Math.Pow(Beta2, steps);
            scratch.copy_(second).sqrt_().div_(Math.Sqrt(correction2)).add_(Epsilon);
            ForEachGroup(split, (g, rate) => g.Parameters.addcdiv_(g.First, g.Scratch, value: -rate / correction1));
        }
        else
        {
            var direction = gradients;
            if (weightDecay != 0 && !exempt) direction = scratch.copy_(gradients).add_(parameters, alpha: weightDecay);
            else if (weightDecay != 0 && decayed is { } range)
            {
                direction = scratch.copy_(gradients);
                range.Scratch.add_(range.Parameters, alpha: weightDecay);
            }
            if (steps == 1) first.copy_(direction);
            else first.mul_(Momentum).add_(direction);
            ForEachGroup(split, (g, rate) => g.Parameters.add_(g.First, alpha: -rate));
        }
    }

    /// <summary>Runs <paramref name="update"/> on the whole buffer, or on each group with its learning rate.</summary>
    private void ForEachGroup(bool split, Action<(Tensor Parameters, Tensor First, Tensor Scratch), double> update)
    {
        if (!split)
        {
            update((parameters, first, scratch), biasesOnly ? BiasLearningRate ?? LearningRate : LearningRate);
            return;
        }
        update(groups![0], LearningRate);
        update(groups[1], BiasLearningRate!.Value);
    }

    /// <summary>Writes the optimizer's state (moments and step count) as safetensors.</summary>
    public void Save(string path)
    {
        using var count = torch.tensor(new[] { steps });
        var state = new Dictionary<string, Tensor> { ["first"] = first, ["steps"] = count };
        if (second is not null) state["second"] = second;
        Checkpoint.Save(state, path);
    }

    /// <summary>Reads what <see cref="Save"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The file is for other parameters or another optimizer.</exception>
    public void Load(string path)
    {
        var state = Checkpoint.Read(path);
        try
        {
            if (!state.TryGetValue("first", out var m) || !state.TryGetValue("steps", out var count) || (second is not null) != state.ContainsKey("second")
                || !m.shape.SequenceEqual(first.shape))
                throw new InvalidDataException($"'{path}' is not this run's optimizer state ({kind}, {first.numel():N0} values).");
            using var noGrad = torch.no_grad();
            first.copy_(m);
            second?.copy_(state["second"]);
            steps = count.to_type(ScalarType.Int64).item<long>();
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var p in trained) p.grad = null; // the gradient buffer goes with the optimizer
        decayed?.Parameters.Dispose();
        decayed?.Scratch.Dispose();
        foreach (var (p, f, sc) in groups ?? [])
        {
            p.Dispose();
            f.Dispose();
            sc.Dispose();
        }
        first.Dispose();
        second?.Dispose();
        scratch.Dispose();
        // The parameters and gradients stay views of the flat buffers, which live as long as the parameters do.
        parameters.Dispose();
        gradients.Dispose();
    }
}
