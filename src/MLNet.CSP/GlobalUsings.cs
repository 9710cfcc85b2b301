// Names used throughout the library: TorchSharp's tensor API and module aliases, ML.NET, and the library's own layers.
global using TorchSharp;
global using static TorchSharp.torch;
global using BatchNorm2d = TorchSharp.Modules.BatchNorm2d;
global using Linear = TorchSharp.Modules.Linear;
global using ModuleList = TorchSharp.Modules.ModuleList<TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>>;
global using Microsoft.ML;
global using Microsoft.ML.Data;
global using Microsoft.ML.Runtime;
global using MLNet.CSP.Models;
global using MLNet.CSP.Models.Layers;
global using MLNet.CSP.Backend;
global using MLNet.CSP.Detection;
global using MLNet.CSP.Export.Onnx;
global using MLNet.CSP.Imaging;
global using MLNet.CSP.Pipelines.Data;
global using MLNet.CSP.Pipelines.Internal;
global using MLNet.CSP.Weights;
global using MLNet.CSP.Pipelines.Training;
