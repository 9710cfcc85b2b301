using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace MLNet.CSP.Tests.Export;

/// <summary>Runs an exported model with ONNX Runtime (CPU, two threads): the independent check of every export.</summary>
internal static class OnnxRuntimeRunner
{
    public static InferenceSession Open(byte[] model)
    {
        var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs the model's single output for one float input; returns the output as a tensor.</summary>
    public static Tensor Run(InferenceSession session, string inputName, Tensor x)
    {
        using var cpu = x.to(ScalarType.Float32, torch.CPU).contiguous();
        var input = new DenseTensor<float>(cpu.data<float>().ToArray(), cpu.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        var output = results.Single().AsTensor<float>();
        return torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }

    /// <summary>Runs a detector graph: its <c>boxes</c> and <c>scores</c> outputs.</summary>
    public static (Tensor Boxes, Tensor Scores) RunDetector(InferenceSession session, string inputName, Tensor x)
    {
        using var cpu = x.to(ScalarType.Float32, torch.CPU).contiguous();
        var input = new DenseTensor<float>(cpu.data<float>().ToArray(), cpu.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        Tensor Get(string name)
        {
            var output = results.Single(r => r.Name == name).AsTensor<float>();
            return torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray());
        }
        return (Get("boxes"), Get("scores"));
    }
}
