"""Static data for the demo catalog built by services.seed: brands, the category tree, product kinds.

Category names, category descriptions and spec KEYS are English source strings marked with N_ so
Babel extracts them; templates translate them where shown. Titles, spec values, brand names and
product descriptions are data and stay untranslated.

SKU patterns: '#' is a random digit, '@' a random capital letter (no I or O, as on real part
numbers), '{name}' a hidden ladder code; everything else is literal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from okmarts.i18n import N_


@dataclass(frozen=True)
class Spec:
    key: str  # N_-marked display key
    name: str  # placeholder used by title and description templates
    values: tuple[str, ...]


@dataclass(frozen=True)
class Ladder:
    """Linked ratings in ascending size (power with current, bore with flow…).

    One row is picked per product, so linked values never contradict each other, and the row's
    position scales the price and weight between the kind's minimum and maximum.
    """

    columns: tuple[tuple[str | None, str], ...]  # (N_ key or None for a SKU-only code, name)
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Kind:
    title: str  # after the brand name: "Siemens " + title
    description: str
    makers: Mapping[str, str] = field(hash=False)  # brand name -> SKU pattern
    specs: tuple[Spec, ...]
    price: tuple[int, int]  # USD cents: smallest..largest ladder row, or a log-uniform range
    weight: tuple[int, int]  # grams, same rule
    ladder: Ladder | None = None


@dataclass(frozen=True)
class Subcategory:
    name: str
    slug: str
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class TopCategory:
    name: str
    slug: str
    description: str
    image: str  # under static/
    children: tuple[Subcategory, ...]


def s(key: str, name: str, *values: str) -> Spec:
    return Spec(key, name, values)


def ladder(columns: tuple[tuple[str | None, str], ...], *rows: tuple[str, ...]) -> Ladder:
    assert all(len(row) == len(columns) for row in rows)
    return Ladder(columns, rows)


BRANDS: tuple[tuple[str, str], ...] = (
    ("Siemens", "DE"), ("ABB", "CH"), ("Schneider Electric", "FR"), ("Omron", "JP"),
    ("Mitsubishi Electric", "JP"), ("Allen-Bradley", "US"), ("Phoenix Contact", "DE"),
    ("Weidmüller", "DE"), ("Festo", "DE"), ("SICK", "DE"), ("Pepperl+Fuchs", "DE"),
    ("Keyence", "JP"), ("Eaton", "IE"), ("Danfoss", "DK"), ("Yaskawa", "JP"), ("Delta", "TW"),
    ("Lapp", "DE"), ("Murrelektronik", "DE"), ("WAGO", "DE"), ("Balluff", "DE"),
    ("Banner", "US"), ("Finder", "IT"), ("ifm", "DE"), ("Beckhoff", "DE"), ("SMC", "JP"),
    ("Mean Well", "TW"), ("Turck", "DE"), ("Harting", "DE"), ("WEG", "BR"), ("Helukabel", "DE"),
    ("Parker Hannifin", "US"),
)

# Spec keys: one constant each so every key has a single msgid.
SUPPLY_VOLTAGE = N_("Supply voltage")
PROTECTION_RATING = N_("Protection rating")
OPERATING_TEMPERATURE = N_("Operating temperature")
MOUNTING = N_("Mounting")
COMMUNICATION = N_("Communication")
DIGITAL_INPUTS = N_("Digital inputs")
DIGITAL_OUTPUTS = N_("Digital outputs")
ANALOG_INPUTS = N_("Analog inputs")
PROGRAM_MEMORY = N_("Program memory")
EXPANSION_MODULES = N_("Max. expansion modules")
CHANNELS = N_("Channels")
SIGNAL_TYPE = N_("Signal type")
CONNECTION = N_("Connection")
SAFETY_LEVEL = N_("Safety level")
RATED_POWER = N_("Rated power")
RATED_CURRENT = N_("Rated current")
RATED_VOLTAGE = N_("Rated voltage")
INPUT_VOLTAGE = N_("Input voltage")
OUTPUT_FREQUENCY = N_("Output frequency")
RATED_SPEED = N_("Rated speed")
RATED_TORQUE = N_("Rated torque")
FRAME_SIZE = N_("Frame size")
EFFICIENCY_CLASS = N_("Efficiency class")
ENCODER = N_("Encoder")
HOLDING_BRAKE = N_("Holding brake")
SENSING_DISTANCE = N_("Sensing distance")
SENSING_RANGE = N_("Sensing range")
INSTALLATION = N_("Installation")
OUTPUT_TYPE = N_("Output type")
HOUSING = N_("Housing")
SWITCHING_FREQUENCY = N_("Switching frequency")
OPERATING_MODE = N_("Operating mode")
LIGHT_SOURCE = N_("Light source")
MEASURING_RANGE = N_("Measuring range")
ACCURACY = N_("Accuracy")
PROCESS_CONNECTION = N_("Process connection")
OUTPUT_SIGNAL = N_("Output signal")
SENSOR_ELEMENT = N_("Sensor element")
PROBE_LENGTH = N_("Probe length")
RESOLUTION = N_("Resolution")
SHAFT = N_("Shaft")
DISPLAY_SIZE = N_("Display size")
TOUCHSCREEN = N_("Touchscreen")
PROCESSOR = N_("Processor")
MEMORY = N_("Memory")
STORAGE = N_("Storage")
OPERATING_SYSTEM = N_("Operating system")
DISPLAY_DIGITS = N_("Display digits")
OUTPUTS = N_("Outputs")
COIL_VOLTAGE = N_("Coil voltage")
CONTACTS = N_("Contacts")
AUXILIARY_CONTACTS = N_("Auxiliary contacts")
SWITCHING_CURRENT = N_("Switching current")
LOAD_VOLTAGE = N_("Load voltage")
CONTROL_VOLTAGE = N_("Control voltage")
SWITCHING_MODE = N_("Switching mode")
FUNCTION = N_("Function")
TIME_RANGE = N_("Time range")
WIDTH = N_("Width")
SETTING_RANGE = N_("Current setting range")
TRIP_CLASS = N_("Trip class")
CROSS_SECTION = N_("Conductor cross-section")
CORES = N_("Cores")
LENGTH = N_("Length")
SHEATH = N_("Sheath material")
SHIELDING = N_("Shielding")
CABLE_CATEGORY = N_("Cable category")
COLOR = N_("Color")
TYPE = N_("Type")
PACK_QUANTITY = N_("Pack quantity")
SIZE = N_("Size")
OUTPUT_VOLTAGE = N_("Output voltage")
OUTPUT_CURRENT = N_("Output current")
OUTPUT_POWER = N_("Output power")
EFFICIENCY = N_("Efficiency")
BUFFER_TIME = N_("Buffer time")
ENERGY_STORAGE = N_("Energy storage")
ISOLATION = N_("Isolation voltage")
PRIMARY_VOLTAGE = N_("Primary voltage")
SECONDARY_VOLTAGE = N_("Secondary voltage")
POLES = N_("Poles")
TRIP_CHARACTERISTIC = N_("Tripping characteristic")
BREAKING_CAPACITY = N_("Breaking capacity")
RESIDUAL_CURRENT = N_("Rated residual current")
UTILIZATION_CATEGORY = N_("Utilization category")
DISCHARGE_CURRENT = N_("Nominal discharge current")
PROTECTION_LEVEL = N_("Voltage protection level")
PISTON_DIAMETER = N_("Piston diameter")
STROKE = N_("Stroke")
STANDARD = N_("Standard")
CUSHIONING = N_("Cushioning")
OPERATING_PRESSURE = N_("Operating pressure")
VALVE_FUNCTION = N_("Valve function")
PORT_SIZE = N_("Port size")
FLOW_RATE = N_("Standard nominal flow")
FILTER_GRADE = N_("Filter grade")
COMPONENTS = N_("Components")
TUBE_DIAMETER = N_("Tube outer diameter")
MATERIAL = N_("Material")
THREAD = N_("Thread")

# Value sets shared by several kinds.
DC24 = s(SUPPLY_VOLTAGE, "supply", "24 V DC")
DIN = s(MOUNTING, "mounting", "DIN rail")
CABINET_TEMP = s(OPERATING_TEMPERATURE, "temp", "0 … +55 °C", "-20 … +60 °C", "-25 … +70 °C")
FIELD_TEMP = s(OPERATING_TEMPERATURE, "temp", "-25 … +70 °C", "-40 … +85 °C", "-25 … +80 °C")
FIELD_IP = s(PROTECTION_RATING, "ip", "IP67", "IP68", "IP69K")
CABINET_IP = s(PROTECTION_RATING, "ip", "IP20")
FIELDBUS = s(COMMUNICATION, "comm", "PROFINET", "EtherNet/IP", "EtherCAT", "Modbus TCP")
SWITCH_OUT = s(OUTPUT_TYPE, "output", "PNP NO", "PNP NC", "NPN NO", "PNP NO, IO-Link")
SENSOR_PLUG = s(CONNECTION, "connection", "M12 connector, 4-pin", "M8 connector, 3-pin",
                "2 m PVC cable", "5 m PUR cable")
PUSH_IN = s(CONNECTION, "connection", "Push-in terminals", "Screw terminals")
SENSOR_SUPPLY = s(SUPPLY_VOLTAGE, "supply", "10–30 V DC")
PROCESS_PORT = s(PROCESS_CONNECTION, "port", "G1/4", "G1/2", "1/4\" NPT", "G1/4 female")
COIL = s(COIL_VOLTAGE, "coil", "24 V DC", "24 V AC", "230 V AC", "110 V AC")
HMI_SIZES = ((DISPLAY_SIZE, "size"), (RESOLUTION, "resolution"))
MOTOR_RANGES = ladder(
    ((SETTING_RANGE, "range"),),
    ("0.1–0.16 A",), ("0.55–0.8 A",), ("1.8–2.5 A",), ("4–6 A",), ("7–10 A",), ("9–12.5 A",),
    ("11–16 A",), ("17–22 A",), ("20–25 A",), ("28–40 A",),
)
LENGTHS = ladder(((LENGTH, "length"),), ("0.3 m",), ("0.6 m",), ("1 m",), ("2 m",), ("3 m",),
                 ("5 m",), ("10 m",), ("15 m",), ("20 m",))
PNEUMATIC_PRESSURE = s(OPERATING_PRESSURE, "pressure", "0.6 … 10 bar", "1 … 10 bar", "0 … 12 bar")

PLCS = TopCategory(
    N_("PLCs & controllers"), "plcs-controllers",
    N_("Programmable logic controllers, I/O modules and safety controllers for machine automation."),
    "img/products/plc.svg",
    (
        Subcategory(N_("Compact PLCs"), "compact-plcs", (Kind(
            "compact PLC, {di} DI / {do} DO, {comm}",
            "Compact controller with {di} digital inputs, {do} digital outputs and {ai} analog "
            "inputs on board. {memory} of program memory and an integrated {comm} port connect it "
            "to drives and HMIs.",
            {"Siemens": "6ES7 21#-1@@4#-0XB0", "Allen-Bradley": "2080-LC##-##QB@",
             "Mitsubishi Electric": "FX5U-##M@/E#", "Omron": "CP2E-N##DT#-D",
             "Schneider Electric": "TM221C@##T#", "Delta": "DVP##SV2#@", "WAGO": "750-8###/0##-0##"},
            (DC24, s(DIGITAL_INPUTS, "di", "6", "8", "12", "14", "16", "24"),
             s(DIGITAL_OUTPUTS, "do", "4", "6", "8", "10", "16"), s(ANALOG_INPUTS, "ai", "2", "4"),
             s(PROGRAM_MEMORY, "memory", "50 KB", "75 KB", "100 KB", "125 KB", "150 KB"),
             FIELDBUS, DIN, CABINET_TEMP),
            (15_000, 95_000), (280, 650)),)),
        Subcategory(N_("Modular PLC CPUs"), "modular-plc-cpus", (Kind(
            "PLC CPU module, {memory} work memory, {comm}",
            "High-performance CPU for modular controller systems with {memory} of work memory and up "
            "to {slots} expansion modules. Built-in {comm} and a web server for diagnostics.",
            {"Siemens": "6ES7 51#-3@@03-0AB0", "Allen-Bradley": "1769-L3#ER@#",
             "Schneider Electric": "BMEP58##2#", "Mitsubishi Electric": "R##ENCPU-#@",
             "Omron": "NJ501-1#0#-#", "Beckhoff": "CX5###-01##"},
            (DC24, FIELDBUS, s(EXPANSION_MODULES, "slots", "8", "16", "32", "64"), DIN,
             CABINET_TEMP),
            (60_000, 480_000), (350, 900),
            ladder(((PROGRAM_MEMORY, "memory"),), ("300 KB",), ("500 KB",), ("1 MB",),
                   ("1.5 MB",), ("2 MB",), ("4 MB",), ("8 MB",))),)),
        Subcategory(N_("I/O modules"), "io-modules", (
            Kind("digital I/O module, {channels} channels, {signal}",
                 "Digital module with {channels} channels ({signal}) for the controller backplane. "
                 "Channel status LEDs and {connection} make commissioning quick.",
                 {"Siemens": "6ES7 52#-1BH##-0AA0", "WAGO": "750-1###/0##-0##",
                  "Phoenix Contact": "27#####", "Beckhoff": "EL1###-00##",
                  "Allen-Bradley": "1769-IQ##@", "Omron": "NX-ID####"},
                 (s(CHANNELS, "channels", "8", "16", "32"),
                  s(SIGNAL_TYPE, "signal", "24 V DC inputs", "24 V DC outputs, 0.5 A",
                    "24 V DC inputs/outputs"), PUSH_IN, DIN, CABINET_TEMP),
                 (4_000, 32_000), (60, 260)),
            Kind("analog input module, {channels} channels, {signal}",
                 "Analog input module with {channels} channels for {signal} signals and "
                 "{resolution} resolution per channel.",
                 {"Siemens": "6ES7 53#-7@F00-0AB0", "WAGO": "750-4##/0##-0##",
                  "Phoenix Contact": "27#####", "Beckhoff": "EL3###-00##",
                  "Allen-Bradley": "1769-IF#@#", "Omron": "NX-AD####"},
                 (s(CHANNELS, "channels", "2", "4", "8"),
                  s(SIGNAL_TYPE, "signal", "0–10 V", "4–20 mA", "±10 V", "Pt100/Pt1000",
                    "thermocouple"),
                  s(RESOLUTION, "resolution", "12 bit", "16 bit"), PUSH_IN, DIN, CABINET_TEMP),
                 (9_000, 55_000), (60, 220)),
        )),
        Subcategory(N_("Safety controllers"), "safety-controllers", (Kind(
            "safety controller, {di} safe inputs, {safety}",
            "Configurable safety controller for emergency stops, light curtains and door switches, "
            "certified up to {safety}. {di} safe inputs and {do} safe outputs.",
            {"SICK": "FLX3-CPUC#-##", "Omron": "G9SP-N##S-#", "Banner": "XS26-#D@##",
             "Schneider Electric": "XPSMCM@###@", "Allen-Bradley": "440C-CR##-##BB@",
             "Siemens": "3SK12##-1@B40"},
            (DC24, s(SAFETY_LEVEL, "safety", "SIL 3 / PL e", "SIL 2 / PL d"),
             s(DIGITAL_INPUTS, "di", "8", "12", "16", "20"), s(DIGITAL_OUTPUTS, "do", "2", "4", "8"),
             FIELDBUS, DIN, CABINET_TEMP),
            (28_000, 160_000), (200, 450)),)),
    ),
)

DRIVES = TopCategory(
    N_("Drives & motors"), "drives-motors",
    N_("Frequency inverters, servo systems, soft starters and IEC motors."),
    "img/products/drive.svg",
    (
        Subcategory(N_("Frequency inverters"), "frequency-inverters", (Kind(
            "frequency inverter {power}, {input}",
            "Variable-speed drive for pumps, fans and conveyors: {power} at {current} output "
            "current, {input} input. Integrated EMC filter and {comm} fieldbus.",
            {"ABB": "ACS580-01-{code}-4+@###", "Siemens": "6SL3210-1KE2#-#@F1",
             "Danfoss": "131B####", "Schneider Electric": "ATV320U##N4@", "Yaskawa": "CIPR-GA50C4###@BA",
             "Mitsubishi Electric": "FR-E8##-#.#K-@", "Delta": "VFD###E43A-#", "Eaton": "DG1-34###FB-C2#"},
            (s(INPUT_VOLTAGE, "input", "3-phase 380–480 V AC", "1-phase 200–240 V AC"),
             s(OUTPUT_FREQUENCY, "freq", "0–599 Hz", "0–500 Hz"), FIELDBUS,
             s(PROTECTION_RATING, "ip", "IP20", "IP21", "IP55"), CABINET_TEMP),
            (35_000, 460_000), (1_700, 21_000),
            ladder(((RATED_POWER, "power"), (RATED_CURRENT, "current"), (None, "code")),
                   ("0.75 kW", "2.6 A", "02A6"), ("1.5 kW", "4.0 A", "04A0"),
                   ("2.2 kW", "5.6 A", "05A6"), ("4 kW", "9.4 A", "09A4"),
                   ("5.5 kW", "12.6 A", "012A"), ("7.5 kW", "17 A", "017A"),
                   ("11 kW", "25 A", "025A"), ("15 kW", "32 A", "032A"),
                   ("22 kW", "46 A", "046A"), ("30 kW", "62 A", "062A"), ("45 kW", "88 A", "088A"))),)),
        Subcategory(N_("Servo drives"), "servo-drives", (Kind(
            "servo drive {power}, {comm}",
            "Servo amplifier for {power} motors with {current} continuous output current and "
            "{comm} motion control. Safe Torque Off (STO) built in.",
            {"Yaskawa": "SGD7S-#R#A##A###", "Mitsubishi Electric": "MR-J5-###@-#",
             "Omron": "R88D-1SN##H-ECT#", "Siemens": "6SL3210-5FE1#-#UF0",
             "Delta": "ASD-A3-####-@", "Beckhoff": "AX5###-0000-02##",
             "Allen-Bradley": "2198-H0##-ERS#", "Schneider Electric": "LXM32M@##N4#"},
            (s(SUPPLY_VOLTAGE, "supply", "1-phase 200–240 V AC", "3-phase 380–480 V AC"),
             FIELDBUS, s(ENCODER, "encoder", "23-bit absolute", "26-bit absolute", "resolver"),
             CABINET_IP, CABINET_TEMP),
            (42_000, 280_000), (800, 4_200),
            ladder(((RATED_POWER, "power"), (RATED_CURRENT, "current")),
                   ("100 W", "0.9 A"), ("200 W", "1.6 A"), ("400 W", "2.8 A"), ("750 W", "5.5 A"),
                   ("1 kW", "7.6 A"), ("1.5 kW", "9.2 A"), ("2 kW", "12 A"), ("3 kW", "18.5 A"))),)),
        Subcategory(N_("Servo motors"), "servo-motors", (Kind(
            "AC servo motor {power}, {torque}, {speed}",
            "Low-inertia servo motor, {power} and {torque} rated torque at {speed}. "
            "{encoder} encoder, {shaft}, {ip}.",
            {"Yaskawa": "SGM7J-##A7@6#", "Mitsubishi Electric": "HK-KT##W@-#",
             "Siemens": "1FK7###-#AF71-1@@0", "Omron": "R88M-1M##030T-S#",
             "Delta": "ECM-A3L-C2####ES", "Beckhoff": "AM8###-#F##-0000",
             "Schneider Electric": "BMH####T##A#"},
            (s(RATED_SPEED, "speed", "3000 rpm", "2000 rpm"),
             s(ENCODER, "encoder", "23-bit absolute", "26-bit absolute multi-turn", "resolver"),
             s(HOLDING_BRAKE, "brake", "with brake", "without brake"),
             s(SHAFT, "shaft", "keyed shaft", "smooth shaft"),
             s(PROTECTION_RATING, "ip", "IP65", "IP67")),
            (26_000, 210_000), (500, 11_000),
            ladder(((RATED_POWER, "power"), (RATED_TORQUE, "torque")),
                   ("100 W", "0.32 Nm"), ("200 W", "0.64 Nm"), ("400 W", "1.27 Nm"),
                   ("750 W", "2.39 Nm"), ("1 kW", "3.18 Nm"), ("1.5 kW", "4.77 Nm"),
                   ("2 kW", "6.37 Nm"), ("3 kW", "9.55 Nm"))),)),
        Subcategory(N_("AC induction motors"), "ac-induction-motors", (Kind(
            "three-phase motor {power}, {frame}, {efficiency}",
            "Totally enclosed fan-cooled induction motor: {power}, {speed}, {efficiency} efficiency "
            "class, frame {frame}, {mount} mounting. Suitable for inverter operation.",
            {"Siemens": "1LE1003-#@@##-#AA4", "ABB": "3GAA###0##-ADE", "WEG": "W22-###-4P-@@#",
             "Mitsubishi Electric": "SF-PR-#.#K-#P-@"},
            (s(RATED_VOLTAGE, "voltage", "230/400 V Δ/Y, 50 Hz", "400/690 V Δ/Y, 50 Hz"),
             s(RATED_SPEED, "speed", "1500 rpm", "3000 rpm", "1000 rpm"),
             s(EFFICIENCY_CLASS, "efficiency", "IE2", "IE3", "IE4"),
             s(MOUNTING, "mount", "B3 foot", "B5 flange", "B14 face"),
             s(PROTECTION_RATING, "ip", "IP55", "IP56")),
            (12_000, 190_000), (6_000, 125_000),
            ladder(((RATED_POWER, "power"), (FRAME_SIZE, "frame"), (RATED_CURRENT, "current")),
                   ("0.37 kW", "IEC 71M", "1.0 A"), ("0.75 kW", "IEC 80M", "1.8 A"),
                   ("1.5 kW", "IEC 90L", "3.3 A"), ("2.2 kW", "IEC 100L", "4.6 A"),
                   ("4 kW", "IEC 112M", "8.0 A"), ("5.5 kW", "IEC 132S", "10.9 A"),
                   ("7.5 kW", "IEC 132M", "14.5 A"), ("11 kW", "IEC 160M", "21 A"),
                   ("15 kW", "IEC 160L", "28.5 A"), ("22 kW", "IEC 180L", "41 A"))),)),
        Subcategory(N_("Soft starters"), "soft-starters", (Kind(
            "soft starter {power}, {current}",
            "Soft starter for {power} motors ({current}) that limits inrush current and "
            "mechanical stress. Integrated bypass contactor, {control} control voltage.",
            {"ABB": "PSE##-600-70-#", "Siemens": "3RW40##-1BB1#", "Schneider Electric": "ATS22D##Q#",
             "Eaton": "DS7-340SX###N0-@", "Danfoss": "175G5###"},
            (s(CONTROL_VOLTAGE, "control", "24 V AC/DC", "110–230 V AC"), CABINET_IP, CABINET_TEMP),
            (22_000, 160_000), (650, 5_500),
            ladder(((RATED_POWER, "power"), (RATED_CURRENT, "current")),
                   ("7.5 kW", "17 A"), ("11 kW", "25 A"), ("15 kW", "32 A"), ("22 kW", "45 A"),
                   ("30 kW", "63 A"), ("45 kW", "85 A"), ("55 kW", "106 A"), ("75 kW", "145 A"))),)),
    ),
)
